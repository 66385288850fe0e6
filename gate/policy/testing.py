"""``gate policy test``: run ``test_*`` rules of ``*_test.rego`` files with OPA semantics.

Engines:

* the ``opa`` binary, when present: ``opa test --format json``;
* ``opa-golib`` (real OPA in-process, in the worker): each test rule is evaluated as written;
* ``regopy``: regopy crashes (SIGSEGV) on ``with input as X`` inside a loaded module. Each test file runs in
  its own worker, and the runner *rewrites* ``with input as X``: ``X`` becomes a package-level helper rule,
  evaluated first, then set as the query's input, and the ``with input as X`` clauses are removed from the
  test body. That is exact when a test uses one input (the usual shape: build an input, query a rule,
  assert). A test that uses several different inputs, ``with input.<path> as``, or an input built from the
  test's own local variables is reported as an error naming the cause and the fix (split the test, or
  use a real OPA engine), never as a crash of the runner.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import PolicyError
from gate.policy.metadata import package_of
from gate.record import Record

_TEST_HEAD = re.compile(r"^(test_\w+)\b", re.M)
_WITH_INPUT = re.compile(r"\bwith\s+input(\.[\w.\[\]\"]+)?\s+as\s+")
HELPER_PREFIX = "__gate_input_"


@dataclass(frozen=True, repr=False)
class TestCase(Record):
    name: str
    line: int
    start: int  # offset of the body's "{"
    end: int  # offset just after the matching "}"
    inputs: tuple[str, ...]  # distinct `with input as` expressions
    partial_input: bool  # uses `with input.<path> as`


@dataclass(frozen=True, repr=False)
class TestResult(Record):
    file: str
    package: str
    name: str
    line: int
    status: str  # pass | fail | error | skip
    message: str = ""
    output: str = ""
    duration_ms: float = 0.0

    @property
    def ref(self) -> str:
        return f"data.{self.package}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "package": self.package,
            "name": self.name,
            "line": self.line,
            "status": self.status,
            "message": self.message,
            "output": self.output,
            "duration_ms": round(self.duration_ms, 2),
        }


# --- a small Rego scanner: strings, raw strings, comments and brackets ------------------------------------


def _skip_string(text: str, i: int) -> int:
    """``i`` at an opening quote; returns the offset after the closing quote."""
    quote = text[i]
    i += 1
    while i < len(text):
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            return i + 1
        if quote == '"' and c == "\n":
            return i
        i += 1
    return i


def _match_brace(text: str, i: int) -> int:
    """``text[i]`` is an opening bracket; returns the offset after the matching closing bracket."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c in '"`':
            i = _skip_string(text, i)
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _term_end(text: str, i: int) -> int:
    """End of the Rego term starting at ``i`` (a literal, a ref, a call, a comprehension)."""
    while i < len(text):
        c = text[i]
        if c in '"`':
            i = _skip_string(text, i)
            continue
        if c in "{[(":
            i = _match_brace(text, i)
            continue
        if c.isspace() or c in ";}),#":
            return i
        i += 1
    return i


def _blank(text: str) -> str:
    """``text`` with strings and comments blanked (same offsets): keywords inside them are not code."""
    from gate.policy.regotext import blank_strings_and_comments

    return blank_strings_and_comments(text)


def _inline_local(body: str, expr: str, depth: int = 0) -> str:
    """``expr`` with the test's local variables (``inp := {...}`` earlier in the body) replaced by the terms
    assigned to them: the helper rule that evaluates the input lives at package level, where the test's
    locals do not exist."""
    if depth > 4:
        return expr
    out = []
    i = 0
    changed = False
    while i < len(expr):
        c = expr[i]
        if c in '"`':
            j = _skip_string(expr, i)
            out.append(expr[i:j])
            i = j
            continue
        m = re.match(r"[A-Za-z_]\w*", expr[i:])
        if m and (i == 0 or expr[i - 1] not in r".\w"):
            name = m.group(0)
            assign = re.search(rf"(?m)^\s*{re.escape(name)}\s*:=\s*", _blank(body))
            if assign:
                term = " ".join(body[assign.end() : _term_end(body, assign.end())].split())
                out.append(f"({term})")
                changed = True
            else:
                out.append(name)
            i += len(name)
            continue
        out.append(c)
        i += 1
    result = "".join(out)
    return _inline_local(body, result, depth + 1) if changed else result


def find_tests(text: str) -> list[TestCase]:
    tests = []
    for m in _TEST_HEAD.finditer(text):
        brace = text.find("{", m.end())
        nl_head = text[m.end() : brace] if brace >= 0 else ""
        if brace < 0 or ("\n" in nl_head and not nl_head.rstrip().endswith("if")):
            continue
        end = _match_brace(text, brace)
        body = text[brace:end]
        inputs = []
        partial = False
        for w in _WITH_INPUT.finditer(_blank(body)):
            if w.group(1):
                partial = True
                continue
            term_end = _term_end(body, w.end())
            inputs.append(_inline_local(body, " ".join(body[w.end() : term_end].split())))
        tests.append(
            TestCase(
                name=m.group(1),
                line=text.count("\n", 0, m.start()) + 1,
                start=brace,
                end=end,
                inputs=tuple(dict.fromkeys(inputs)),
                partial_input=partial,
            )
        )
    return tests


def strip_with_input(text: str, tests: list[TestCase], runnable: set[str] | None = None) -> str:
    """The module with every ``with input`` clause removed from the tests' bodies (regopy must never see
    one) and one helper rule ``__gate_input_<test> := X`` per runnable test that had one."""
    out = []
    pos = 0
    helpers = []
    for t in sorted(tests, key=lambda t: t.start):
        out.append(text[pos : t.start])
        body = text[t.start : t.end]
        pieces = []
        bpos = 0
        for w in _WITH_INPUT.finditer(_blank(body)):
            term_end = _term_end(body, w.end())
            start = w.start()
            while start > 0 and body[start - 1] in " \t":
                start -= 1
            pieces.append(body[bpos:start])
            bpos = term_end
        pieces.append(body[bpos:])
        out.append("".join(pieces))
        pos = t.end
        if len(t.inputs) == 1 and not t.partial_input and (runnable is None or t.name in runnable):
            helpers.append(f"\n{HELPER_PREFIX}{t.name} := {t.inputs[0]}\n")
    out.append(text[pos:])
    return "".join(out) + "".join(helpers)


# --- in the worker -------------------------------------------------------------------------------------------


class _Capture:
    """Capture what the engine writes to file descriptor 1 (Rego ``print`` on regopy)."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None)
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the capture)
        self._saved = -1

    def __enter__(self) -> _Capture:
        self._libc.fflush(None)
        self._saved = os.dup(1)
        self._file.seek(0)
        self._file.truncate()
        os.dup2(self._file.fileno(), 1)
        return self

    def __exit__(self, *exc: object) -> None:
        self._libc.fflush(None)
        os.dup2(self._saved, 1)
        os.close(self._saved)

    def text(self) -> str:
        self._file.seek(0)
        return self._file.read(64 * 1024).decode("utf-8", "replace")


def run_test_file(
    backend: str, modules: list[list[str]], data: dict[str, Any], test_file: list[str], pattern: str | None
) -> Iterator[dict[str, Any]]:
    name, text = test_file
    package = package_of(text) or "?"
    every_test = find_tests(text)
    tests = every_test
    if pattern:
        rx = re.compile(pattern)
        tests = [t for t in tests if rx.search(f"{package}.{t.name}")]
    if backend == "opa-golib":
        yield from _run_golib(modules, data, name, text, package, tests)
    else:
        yield from _run_regopy(modules, data, name, text, package, tests, every_test)


def _row(
    file: str, package: str, t: TestCase, status: str, message: str = "", output: str = "", ms: float = 0.0
) -> dict[str, Any]:
    return TestResult(file, package, t.name, t.line, status, message, output, ms).to_json()


def _run_golib(
    modules: list[list[str]], data: dict[str, Any], file: str, text: str, package: str, tests: list[TestCase]
) -> Iterator[dict[str, Any]]:
    from opa_bindings import OpaEngine, OpaError

    with OpaEngine() as engine:
        prints: list[str] = []
        engine.print_handler = lambda msg, loc: prints.append(str(msg))
        for mname, mtext in modules:
            engine.add_policy(mname, mtext)
        engine.add_policy(file, text)
        if data:
            engine.add_data(data)
        for t in tests:
            prints.clear()
            t0 = time.perf_counter()
            try:
                rows = engine.eval_query(f"x := data.{package}.{t.name}")
            except OpaError as e:
                yield _row(
                    file, package, t, "error", str(e), "\n".join(prints), (time.perf_counter() - t0) * 1000
                )
                continue
            ms = (time.perf_counter() - t0) * 1000
            ok = bool(rows) and rows[0].get("x") is True
            yield _row(
                file,
                package,
                t,
                "pass" if ok else "fail",
                "" if ok else "test rule is false or undefined",
                "\n".join(prints),
                ms,
            )


REGOPY_WITH_INPUT_FIX = (
    "regopy crashes on `with input as` in loaded modules; the runner can only rewrite tests that use one input "
    "built from package-level values. Fix: split the test into one test per input, build the input in a "
    "package-level rule, or run `gate policy test --engine opa-golib` (or with the opa binary)."
)


def _run_regopy(
    modules: list[list[str]],
    data: dict[str, Any],
    file: str,
    text: str,
    package: str,
    tests: list[TestCase],
    every_test: list[TestCase],
) -> Iterator[dict[str, Any]]:
    import regopy

    from gate.policy.worker import regopy_query

    runnable = []
    for t in tests:
        if t.partial_input:
            yield _row(file, package, t, "error", "uses `with input.<path> as`: " + REGOPY_WITH_INPUT_FIX)
        elif len(t.inputs) > 1:
            yield _row(
                file,
                package,
                t,
                "error",
                f"uses {len(t.inputs)} different `with input as` values: " + REGOPY_WITH_INPUT_FIX,
            )
        else:
            runnable.append(t)
    rewritten = strip_with_input(text, every_test, {t.name for t in runnable})
    interp = regopy.Interpreter()
    try:
        for mname, mtext in modules:
            interp.add_module(mname, mtext)
        interp.add_module(file, rewritten)
        if data:
            interp.add_data_json(json.dumps(data, ensure_ascii=False))
    except Exception as e:
        msg = " ".join(str(e).split())[:1000]
        for t in runnable:
            yield _row(file, package, t, "error", f"policies do not compile: {msg}")
        return
    capture = _Capture()
    # Tests without an input first: once an input is set it cannot be unset.
    for t in sorted(runnable, key=lambda t: (bool(t.inputs), t.line)):
        t0 = time.perf_counter()
        try:
            with capture:
                if t.inputs:
                    defined, value = regopy_query(interp, f"x := data.{package}.{HELPER_PREFIX}{t.name}")
                    if not defined:
                        raise _Undefined(
                            f"the value of `with input as {t.inputs[0][:60]}` is undefined outside the test (does "
                            f"it use variables local to the test?). " + REGOPY_WITH_INPUT_FIX
                        )
                    interp.set_input_term(json.dumps(value, ensure_ascii=False))
                defined, value = regopy_query(interp, f"x := data.{package}.{t.name}")
        except _Undefined as e:
            yield _row(file, package, t, "error", str(e), capture.text(), (time.perf_counter() - t0) * 1000)
            continue
        except Exception as e:
            msg = " ".join(str(e).split())[:1000]
            yield _row(file, package, t, "error", msg, capture.text(), (time.perf_counter() - t0) * 1000)
            continue
        ms = (time.perf_counter() - t0) * 1000
        ok = defined and value is True
        yield _row(
            file,
            package,
            t,
            "pass" if ok else "fail",
            "" if ok else "test rule is false or undefined",
            capture.text(),
            ms,
        )


class _Undefined(Exception):
    pass


# --- in the parent -------------------------------------------------------------------------------------------


def run_tests(
    paths: list[Path | str],
    *,
    engine: str = "regopy",
    pattern: str | None = None,
    include_bundled: bool = False,
) -> list[TestResult]:
    from gate.policy.engine import Limits, find_opa, run_limited_partial, worker_argv, worker_lines
    from gate.policy.sources import load_policies

    if engine == "opa":
        opa = find_opa()
        if not opa:
            raise PolicyError("--engine opa needs the `opa` binary on PATH")
        return run_opa_test(opa, [str(p) for p in paths] or [], pattern)
    ps = load_policies(list(paths), include_bundled=include_bundled, with_tests=True)
    if not ps.test_modules:
        raise PolicyError("no *_test.rego files found")
    limits = Limits.from_env()
    results: list[TestResult] = []
    modules = [[m.name, m.text] for m in ps.modules]
    for tm in sorted(ps.test_modules, key=lambda m: m.name):
        request = {
            "op": "test",
            "backend": engine,
            "modules": modules,
            "data": ps.data,
            "test_file": [tm.name, tm.text],
            "filter": pattern,
        }
        payload = json.dumps(request, ensure_ascii=False).encode("utf-8")
        done = run_limited_partial(worker_argv(), payload, limits, f"tests in {tm.name}")
        seen: set[str] = set()
        error_row = None
        try:
            for row in worker_lines(done.stdout):
                if "test" in row or ("name" in row and "status" in row):
                    results.append(
                        TestResult(**{k: row[k] for k in TestResult.__dataclass_fields__ if k in row})
                    )
                    seen.add(row["name"])
                elif row.get("ok") is False:
                    error_row = row.get("error")
        except PolicyError as e:
            error_row = e.message
        failure = done.failure or error_row
        if failure:
            package = package_of(tm.text) or "?"
            cause = failure
            if "SIGSEGV" in failure and "with input" in tm.text:
                cause = f"{failure}; likely cause: {REGOPY_WITH_INPUT_FIX}"
            for t in find_tests(tm.text):
                if t.name not in seen and (not pattern or re.search(pattern, f"{package}.{t.name}")):
                    results.append(TestResult(tm.name, package, t.name, t.line, "error", cause))
    return sorted(results, key=lambda r: (r.file, r.line, r.name))


def run_opa_test(opa: str, paths: list[str], pattern: str | None) -> list[TestResult]:
    import subprocess

    argv = [opa, "test", "--format", "json", *paths]
    if pattern:
        argv += ["--run", pattern]
    proc = subprocess.run(argv, capture_output=True, timeout=600)
    return parse_opa_test(proc.stdout, proc.stderr.decode("utf-8", "replace"))


def parse_opa_test(stdout: bytes, stderr: str = "") -> list[TestResult]:
    try:
        rows = json.loads(stdout.decode("utf-8") or "[]")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PolicyError(f"opa test: unreadable output: {e}: {stderr.strip()[:300]}") from e
    if isinstance(rows, dict) and rows.get("errors"):
        raise PolicyError("opa test: " + "; ".join(str(e.get("message", e)) for e in rows["errors"][:5]))
    out = []
    for r in rows:
        loc = r.get("location") or {}
        if r.get("error"):
            status, msg = "error", str(r["error"].get("message", r["error"]))
        elif r.get("fail"):
            status, msg = "fail", "test rule is false or undefined"
        elif r.get("skip"):
            status, msg = "skip", ""
        else:
            status, msg = "pass", ""
        output = r.get("output") or ""
        if output:
            import base64

            try:
                output = base64.b64decode(output).decode("utf-8", "replace")
            except ValueError:
                pass
        out.append(
            TestResult(
                file=loc.get("file", ""),
                package=str(r.get("package", "")).removeprefix("data."),
                name=r.get("name", ""),
                line=loc.get("row", 0),
                status=status,
                message=msg,
                output=output,
                duration_ms=(r.get("duration") or 0) / 1e6,
            )
        )
    return out
