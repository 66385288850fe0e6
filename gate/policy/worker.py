"""The policy worker: evaluates Rego in a separate process so that an engine crash, a runaway policy or a
huge result cannot take the gate down or pass silently.

Run as ``python -m gate.policy.worker``. It reads a one-line JSON request from stdin and writes JSON lines
to the file descriptor that was its stdout; the C++ engine's own stdout (Rego ``print``) is redirected to
stderr so it can never corrupt the response. Limits (CPU, file size) are set by the parent before exec.

Requests::

    {"op": "eval", "backend": "regopy"|"opa-golib", "modules": [[name, text], ...], "data": {...},
     "query": "data.gate.rules", "bundle": "/cache/policy/KEY.rbb" | null}
    <input JSON, everything after the request line>
      -> {"ok": true, "defined": true, "value": ...} | {"ok": false, "error": "..."}

    {"op": "profile", "backend": "regopy", "modules": [...], "data": {...}, "input": {...}, "refs": [...]}
      -> one {"ref": ..., "ms": ...} line per rule, then {"ok": true, "done": true}

    {"op": "test", "backend": ..., "modules": [...], "test_file": [name, text], "filter": "regex"|null}
      -> one {"test": ..., "status": "pass"|"fail"|"error", ...} line per test, then {"done": true}

An evaluation gets its input after the request line, when the evidence is complete: ``gate check`` starts
the worker before it collects, so that starting Python, loading the engine and compiling the policies
overlap the collection. With regopy the policies are compiled into a bundle (rego-cpp's plan for the
query), saved at ``bundle`` (KEY is a digest of the engine library, the query, the modules and the data, so a
stale bundle is never found) and loaded from there on the next run; a bundle that does not load or whose
sha256 does not match is rebuilt.

Only the standard library and the engine binding are imported here (plus ``gate.policy.testing`` for the
``test`` op), to keep start-up fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

TIMINGS: dict[str, float] = {}


def _engine_regopy(modules: list[list[str]], data: dict[str, Any]) -> Any:
    import regopy

    interp = regopy.Interpreter()
    for name, text in modules:
        interp.add_module(name, text)
    if data:
        interp.add_data_json(json.dumps(data, ensure_ascii=False))
    return interp


def profile_regopy(
    modules: list[list[str]], data: dict[str, Any], input_doc: Any, refs: list[str]
) -> list[dict[str, Any]]:
    """Time each result rule on its own (in order; helpers shared by several rules are paid by the first)."""
    t0 = time.perf_counter()
    interp = _engine_regopy(modules, data)
    t1 = time.perf_counter()
    if input_doc is not None:
        interp.set_input_term(json.dumps(input_doc, ensure_ascii=False))
    t2 = time.perf_counter()
    # Every regopy query pays a fixed cost that grows with the program and the input (it is compiled per
    # query): measure it on a trivial query and report each rule's time above it.
    base = []
    for _ in range(3):
        t = time.perf_counter()
        regopy_query(interp, "x := true")
        base.append((time.perf_counter() - t) * 1000)
    overhead = sorted(base)[1]
    rows: list[dict[str, Any]] = [
        {"ref": "(compile policies)", "ms": (t1 - t0) * 1000},
        {"ref": "(load input)", "ms": (t2 - t1) * 1000},
        {"ref": "(fixed cost of one query, subtracted below)", "ms": overhead},
    ]
    for ref in refs:
        t = time.perf_counter()
        try:
            defined, value = regopy_query(interp, f"x := {ref}")
            n = len(value) if isinstance(value, list) else (0 if not defined else 1)
            ms = max(0.0, (time.perf_counter() - t) * 1000 - overhead)
            rows.append({"ref": ref, "ms": ms, "results": n})
        except Exception as e:
            rows.append({"ref": ref, "ms": (time.perf_counter() - t) * 1000, "error": str(e)[:300]})
    return rows


def regopy_query(interp: Any, query: str) -> tuple[bool, Any]:
    """(defined, value of ``x``). Reads the raw output: regopy's ``Output`` raises a bare JSONDecodeError
    when the engine reports an error."""
    from regopy import interpreter as low

    return _regopy_output(low.rego_query(interp._impl, query))


def _regopy_output(impl: Any) -> tuple[bool, Any]:
    from regopy import output as lowout

    try:
        ok = lowout.rego_output_ok(impl)
        text = lowout.rego_output_string(impl)
    finally:
        lowout.rego_free_output(impl)
    if text.strip() == "undefined":
        return False, None
    if not ok or not text.lstrip().startswith("{"):
        raise RuntimeError("the engine reported: " + _error_text(text))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise RuntimeError(
            f"the engine produced invalid JSON at offset {e.pos} (a known regopy defect, e.g. "
            f"sprintf of concat(...)); run `gate policy lint`"
        ) from e
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    bindings = doc.get("bindings") or {}
    if "x" not in bindings:
        return False, None
    return True, bindings["x"]


def _error_text(text: str) -> str:
    import re

    msgs = re.findall(r"\(errormsg \d+:(.*?)\)\s*$", text, re.M)
    locs = re.findall(r"-- ([^\s:]+:\d+:\d+)", text)
    if msgs:
        where = f" at {locs[0]}" if locs else ""
        return "; ".join(dict.fromkeys(m.strip() for m in msgs))[:1000] + where
    return " ".join(text.split())[:1000]


def _bundle_load(path: str | None) -> tuple[Any, Any] | None:
    """(interpreter, bundle) from the cache, or None when it is absent, altered or unreadable."""
    import hashlib

    import regopy

    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
        with open(path + ".sha256", encoding="ascii") as fh:
            expected = fh.read().strip()
    except OSError:
        return None
    if hashlib.sha256(blob).hexdigest() != expected:
        return None
    interp = regopy.Interpreter()
    try:
        bundle = interp.load_bundle(path, regopy.BundleFormat.Binary)
    except Exception:
        return None
    return (interp, bundle) if bundle.ok() else None


def _bundle_save(interp: Any, bundle: Any, path: str) -> None:
    """Write the bundle and its digest atomically; a cache that cannot be written only costs speed."""
    import hashlib

    import regopy

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        interp.save_bundle(tmp, bundle, regopy.BundleFormat.Binary)
        with open(tmp, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        with open(tmp + ".sha256", "w", encoding="ascii") as fh:
            fh.write(digest + "\n")
        os.replace(tmp + ".sha256", path + ".sha256")
        os.replace(tmp, path)
    except Exception:  # read-only or full cache: evaluate anyway
        for leftover in (tmp, tmp + ".sha256"):
            try:
                os.unlink(leftover)
            except OSError:
                pass


def eval_regopy(header: dict[str, Any], read_input: Any) -> tuple[bool, Any]:
    """(defined, value) of the header's query: compile (or load) the policies first, then wait for the
    input, then evaluate the bundle. The input goes in as a term: loading it as data parses four times
    faster but makes every lookup in the rules about five times slower (measured at 1,000 components)."""
    from regopy import interpreter as low

    t0 = time.perf_counter()
    query = f"x := {header['query']}"
    loaded = _bundle_load(header.get("bundle"))
    if loaded is None:
        interp = _engine_regopy(header.get("modules") or [], header.get("data") or {})
        bundle = interp.build(query, [])
        if header.get("bundle"):
            _bundle_save(interp, bundle, header["bundle"])
        TIMINGS["bundle"] = 0.0
    else:
        interp, bundle = loaded
        TIMINGS["bundle"] = 1.0
    t1 = time.perf_counter()
    text = read_input()
    t2 = time.perf_counter()
    if text.strip() != "null":
        interp.set_input_term(text)
    t3 = time.perf_counter()
    result = _regopy_output(low.rego_bundle_query(interp._impl, bundle._impl))
    # load = compiling (or loading the bundle) and the input, eval = the query (as for opa-golib).
    TIMINGS.update(
        load_ms=(t1 - t0 + t3 - t2) * 1000,
        input_ms=(t3 - t2) * 1000,
        wait_ms=(t2 - t1) * 1000,
        eval_ms=(time.perf_counter() - t3) * 1000,
    )
    return result


def eval_golib(header: dict[str, Any], read_input: Any) -> tuple[bool, Any]:
    from opa_bindings import OpaEngine

    modules, data = header.get("modules") or [], header.get("data") or {}
    input_doc = json.loads(read_input())
    t0 = time.perf_counter()
    with OpaEngine() as engine:
        engine.print_handler = lambda msg, loc: sys.stderr.write(f"{loc}: {msg}\n")
        for name, text in modules:
            engine.add_policy(name, text)
        if data:
            engine.add_data(data)
        t1 = time.perf_counter()
        rows = engine.eval_query(f"x := {header['query']}", input_doc)
        TIMINGS.update(load_ms=(t1 - t0) * 1000, eval_ms=(time.perf_counter() - t1) * 1000)
    if not rows:
        return False, None
    return True, rows[0].get("x")


def _write(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def _no_uname_subprocess() -> None:
    """regopy picks its library with ``platform.uname()[0]``. Indexing builds the whole tuple, whose
    ``processor`` field runs ``uname -p`` in a child process the first time (10 ms of every worker start).
    The field is filled in first, blank, as ``platform`` does when ``uname -p`` knows no answer; nothing in
    the worker reads it."""
    import platform

    try:
        platform.uname().__dict__.setdefault("processor", "")
    except AttributeError:  # pragma: no cover - a Python whose uname_result has no instance dict
        pass


def main() -> int:
    _no_uname_subprocess()
    # Keep the response channel private: the engine's stdout goes to stderr from here on.
    resp_fd = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(resp_fd, "w", encoding="utf-8")
    stdin = sys.stdin.buffer
    try:
        request = json.loads(stdin.readline().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        _write(out, {"ok": False, "error": f"bad worker request: {e}"})
        return 2
    backend = request.get("backend", "regopy")

    def read_input() -> str:
        text = stdin.read().decode("utf-8")
        if not text.strip():
            raise ValueError("no input document (the gate stopped before its evidence was complete)")
        return text

    try:
        if request["op"] == "eval":
            fn = eval_golib if backend == "opa-golib" else eval_regopy
            defined, value = fn(request, read_input)
            _write(out, {"ok": True, "defined": defined, "value": value, "timings": TIMINGS})
            return 0
        if request["op"] == "profile":
            for row in profile_regopy(
                request["modules"], request.get("data") or {}, request.get("input"), request["refs"]
            ):
                _write(out, row)
            _write(out, {"ok": True, "done": True})
            return 0
        if request["op"] == "test":
            from gate.policy.testing import run_test_file

            for row in run_test_file(
                backend,
                request["modules"],
                request.get("data") or {},
                request["test_file"],
                request.get("filter"),
            ):
                _write(out, row)
            _write(out, {"done": True})
            return 0
        _write(out, {"ok": False, "error": f"unknown op {request['op']!r}"})
        return 2
    except MemoryError:
        _write(out, {"ok": False, "error": "out of memory"})
        return 3
    except Exception as e:
        msg = " ".join(str(e).split()) or type(e).__name__
        _write(out, {"ok": False, "error": f"{type(e).__name__}: {msg}"[:4000]})
        return 1


if __name__ == "__main__":
    code = main()
    # The response is written and flushed: skip the interpreter's and the engine's teardown (freeing every
    # term of a large input one by one), which the caller would otherwise wait for.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
