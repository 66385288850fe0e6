"""Policy evaluation speed: the bundled library on evidence documents of 1,000 and 10,000 components,
embedded regopy against real OPA (opa-golib-python-bindings, in-process) side by side, and a policy written
the idiomatic way (``deny contains``) against the same rules as array comprehensions.

Usage: .venv/bin/python benchmarks/bench_policy.py [--sizes 1000,10000] [--repeat 3]

Prints, per engine and size: the evaluation time inside the engine (compile excluded), the engine's compile
time, the whole worker round trip (process start, JSON in and out), and the regopy/OPA ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gate.policy.engine import WorkerEngine, available_engines
from gate.policy.sources import Module, load_policies


def document(n: int) -> dict[str, Any]:
    comps = []
    for i in range(n):
        kind = "git" if i % 97 == 0 else "registry"
        comps.append(
            {
                "ref": f"pkg:pypi/pkg-{i}@1.{i}.0",
                "name": f"pkg-{i}",
                "version": f"1.{i}.0",
                "type": "library",
                "ecosystem": "pypi",
                "purl": f"pkg:pypi/pkg-{i}@1.{i}.0",
                "direct": i % 10 == 0,
                "scope": "dev" if i % 50 == 0 else "required",
                "pinned": i % 41 != 0,
                "hashes": {} if i % 13 == 0 else {"sha256": [f"{i:064x}"]},
                "source": {"kind": kind, "url": f"https://git.example.com/{i}.git"}
                if kind == "git"
                else {"kind": "registry", "registry": "https://pypi.org/simple"},
                "locations": [{"file": "uv.lock", "line": 10 + i * 12}],
                "projects": ["pkg:pypi/server@0.1.0"],
                "dependencies": [f"pkg:pypi/pkg-{(i * 7) % n}@1.{(i * 7) % n}.0"],
                "licenses": ["MIT"],
            }
        )
    return {
        "schema": "gate/input/v1",
        "gate": {"version": "0.1.0"},
        "target": {"name": "bench", "kind": "directory"},
        "settings": {"include_dev": False, "include_tests": False, "network": False, "config": None},
        "mcp": {"server": None, "transports": []},
        "projects": [],
        "components": comps,
        "excluded": {"count": 0, "scopes": []},
        "services": [],
        "manifests": [
            {"path": "pyproject.toml", "kind": "pyproject", "project": "p", "lockfile": "uv.lock"},
            {"path": "tools/pyproject.toml", "kind": "pyproject", "project": "t", "lockfile": None},
        ],
        "lockfiles": [{"path": "uv.lock", "kind": "uv", "project": "p", "packages": n}],
        "collectors": [{"name": "python", "status": "ok", "reason": None, "errors": [], "stats": {}}],
    }


IDIOMATIC = """package gate.rules.idiomatic

import rego.v1

deny contains r if {
	some c in input.components
	not c.scope in {"dev", "test"}
	c.pinned == false
	r := {"code": "idiomatic.unpinned", "msg": sprintf("%s unpinned", [c.name]), "component": c.ref}
}

warn contains r if {
	some c in input.components
	c.source.kind == "registry"
	count(c.hashes) == 0
	some l in c.locations
	some lf in input.lockfiles
	l.file == lf.path
	r := {"code": "idiomatic.missing_hash", "msg": sprintf("%s has no hash", [c.name]), "component": c.ref}
}

warn contains r if {
	some c in input.components
	c.source.kind in {"git", "path", "url"}
	r := {"code": "idiomatic.non_registry", "msg": c.name, "component": c.ref}
}
"""


def measure(
    engine: str, modules: list[Module], data: dict[str, Any], doc: dict[str, Any], repeat: int
) -> dict[str, Any]:
    eng = WorkerEngine(engine)
    evals, loads, walls = [], [], []
    count = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            value = eng.evaluate(modules, data, doc, "data.gate.rules")
        except Exception as e:  # report, keep benchmarking the others
            return {"error": " ".join(str(e).split())[:160]}
        walls.append((time.perf_counter() - t0) * 1000)
        evals.append(eng.last_timings.get("eval_ms", float("nan")))
        loads.append(eng.last_timings.get("load_ms", float("nan")))
        count = sum(
            len(v)
            for pkg in (value or {}).values()
            for k, v in pkg.items()
            if k.startswith(("deny", "warn")) and isinstance(v, list)
        )
    return {
        "eval_ms": statistics.median(evals),
        "load_ms": statistics.median(loads),
        "wall_ms": statistics.median(walls),
        "results": count,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-idiomatic", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [e for e in available_engines() if e in ("regopy", "opa-golib")]
    full = load_policies([])
    own = [m for m in full.modules if m.name.startswith(("gate/policies/core/", "gate/policies/deps/"))]
    suites = [("core+deps", own), (f"bundled library ({len(full.modules)} modules)", full.modules)]
    if not args.skip_idiomatic:
        suites.append(("idiomatic sets (same checks)", [Module("idiomatic.rego", IDIOMATIC, "bench")]))
    print(f"engines: {', '.join(engines)}; median of {args.repeat}")
    print(
        f"{'policies':38} {'components':>10} {'engine':>10} {'eval ms':>10} {'compile ms':>10} {'round trip ms':>14} {'results':>8}"
    )
    for label, modules in suites:
        for n in sizes:
            doc = document(n)
            row: dict[str, dict[str, Any]] = {}
            for engine in engines:
                if label.startswith("idiomatic") and engine == "regopy" and n > 1000:
                    row[engine] = {"error": "skipped: quadratic on regopy (minutes at 10,000)"}
                else:
                    row[engine] = measure(engine, modules, full.data, doc, args.repeat)
                r = row[engine]
                if "error" in r:
                    print(f"{label:38} {n:>10} {engine:>10} {r['error']}")
                else:
                    print(
                        f"{label:38} {n:>10} {engine:>10} {r['eval_ms']:>10.1f} {r['load_ms']:>10.1f} "
                        f"{r['wall_ms']:>14.1f} {r['results']:>8}"
                    )
            a, b = row.get("regopy", {}), row.get("opa-golib", {})
            if "eval_ms" in a and "eval_ms" in b and b["eval_ms"] > 0:
                print(
                    f"{'':38} {'':>10} {'ratio':>10} {a['eval_ms'] / b['eval_ms']:>9.2f}x (regopy / OPA eval)"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
