"""The policy worker: evaluates Rego in a separate process so that an engine crash, a runaway policy or a
huge result cannot take the gate down or pass silently.

Run as ``python -m gate.policy.worker``. It reads one JSON request from stdin and writes JSON lines to the
file descriptor that was its stdout; the C++ engine's own stdout (Rego ``print``) is redirected to stderr so
it can never corrupt the response. Limits (address space, CPU, file size) are set by the parent before exec.

Requests::

    {"op": "eval", "backend": "regopy"|"opa-golib", "modules": [[name, text], ...], "data": {...},
     "input": {...}, "query": "data.gate.rules"}
      -> {"ok": true, "defined": true, "value": ...} | {"ok": false, "error": "..."}

    {"op": "test", "backend": ..., "modules": [...], "test_file": [name, text], "filter": "regex"|null}
      -> one {"test": ..., "status": "pass"|"fail"|"error", ...} line per test, then {"done": true}

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


def eval_regopy(
    modules: list[list[str]], data: dict[str, Any], input_doc: Any, query: str
) -> tuple[bool, Any]:
    """(defined, value) of ``query`` (a ref such as ``data.gate.rules``)."""
    # The input goes in as a term: loading it as data parses four times faster but makes every lookup in
    # the rules about five times slower (measured at 1,000 components), so the total is worse.
    t0 = time.perf_counter()
    interp = _engine_regopy(modules, data)
    if input_doc is not None:
        interp.set_input_term(json.dumps(input_doc, ensure_ascii=False))
    t1 = time.perf_counter()
    result = regopy_query(interp, f"x := {query}")
    TIMINGS.update(load_ms=(t1 - t0) * 1000, eval_ms=(time.perf_counter() - t1) * 1000)
    return result


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
    from regopy import output as lowout

    impl = low.rego_query(interp._impl, query)
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


def eval_golib(
    modules: list[list[str]], data: dict[str, Any], input_doc: Any, query: str
) -> tuple[bool, Any]:
    from opa_bindings import OpaEngine

    t0 = time.perf_counter()
    with OpaEngine() as engine:
        engine.print_handler = lambda msg, loc: sys.stderr.write(f"{loc}: {msg}\n")
        for name, text in modules:
            engine.add_policy(name, text)
        if data:
            engine.add_data(data)
        t1 = time.perf_counter()
        rows = engine.eval_query(f"x := {query}", input_doc)
        TIMINGS.update(load_ms=(t1 - t0) * 1000, eval_ms=(time.perf_counter() - t1) * 1000)
    if not rows:
        return False, None
    return True, rows[0].get("x")


def _write(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def main() -> int:
    # Keep the response channel private: the engine's stdout goes to stderr from here on.
    resp_fd = os.dup(1)
    os.dup2(2, 1)
    out = os.fdopen(resp_fd, "w", encoding="utf-8")
    try:
        request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        _write(out, {"ok": False, "error": f"bad worker request: {e}"})
        return 2
    backend = request.get("backend", "regopy")
    try:
        if request["op"] == "eval":
            fn = eval_golib if backend == "opa-golib" else eval_regopy
            defined, value = fn(
                request["modules"], request.get("data") or {}, request.get("input"), request["query"]
            )
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
    sys.exit(main())
