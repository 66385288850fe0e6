"""Precision and recall of AI component detection on the labelled test projects, side by side with cdxgen.

Each project in tests/collect/ai/projects/ has a ``<name>.expected.json`` label: the components it must
yield (name, type, kind, source, env override, revision, provider), the hosted AI APIs (services), names it
must never yield, and references that live only in test/example folders (excluded by default). The gate
runs with default settings (tests scoped out). cdxgen (``CDXGEN`` or /tmp/cdxgen/node_modules/.bin/cdxgen)
runs in its AI-BOM mode (``-t ai``) on a copy of the same project; its machine-learning-model and data
components are matched by name.

    python benchmarks/ai_accuracy.py [--no-cdxgen] [--project DIR=LABEL.json ...]

``--project`` adds a real project, e.g. the published sources of two MCP servers labelled in
benchmarks/data/ai/ (fetch them with ``pip download --no-deps --no-binary :all: mcp-server-qdrant==0.8.1``
and ``npm pack @pinecone-database/mcp@0.3.0``, then unpack).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PROJECTS = ROOT / "tests" / "collect" / "ai" / "projects"
CDXGEN = os.environ.get("CDXGEN", "/tmp/cdxgen/node_modules/.bin/cdxgen")


def gate_components(
    project: Path, include_tests: bool = False
) -> tuple[list[dict[str, Any]], set[str], float]:
    from gate.collect import Inventory, Settings
    from gate.collect.ai import AICollector

    os.environ.setdefault("GATE_NO_HASH_CACHE", "1")
    inv = Inventory(Settings(target=project, include_tests=include_tests))
    t0 = time.perf_counter()
    run = AICollector().collect(inv)
    dt = time.perf_counter() - t0
    if run.status not in ("ok",):
        print(f"  warning: collector {run.status}: {[e.message for e in run.errors]}", file=sys.stderr)
    comps = []
    for c in inv.components:
        ai = c.extra["ai"]
        comps.append(
            {
                "name": c.name,
                "type": c.type,
                "kind": ai["kind"],
                "source": ai["source"],
                "env_overrides": ai["env_overrides"],
                "revision": ai["revision"],
                "provider": ai["provider"],
            }
        )
    return comps, {s.provider or "" for s in inv.services}, dt


def attribute_errors(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    errs = []
    for key in ("type", "kind", "source", "revision", "provider"):
        if key in expected and expected[key] != got.get(key):
            errs.append(f"{expected['name']}: {key} {got.get(key)!r} != {expected[key]!r}")
    if "env_override" in expected and expected["env_override"] not in got["env_overrides"]:
        errs.append(
            f"{expected['name']}: env override {expected['env_override']} missing ({got['env_overrides']})"
        )
    return errs


def cdxgen_names(project: Path) -> tuple[dict[str, str] | None, float]:
    if not Path(CDXGEN).exists():
        return None, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / project.name
        shutil.copytree(project, work)
        out = Path(tmp) / "bom.json"
        t0 = time.perf_counter()
        subprocess.run(
            [CDXGEN, "-t", "ai", "--no-install-deps", "-o", str(out), str(work)],
            capture_output=True,
            timeout=600,
            env={**os.environ, "CDXGEN_NO_BANNER": "1"},
            check=False,
        )
        dt = time.perf_counter() - t0
        if not out.exists():
            return set(), dt
        bom = json.loads(out.read_text())
    names: dict[str, str] = {}
    for c in bom.get("components", []):
        if c.get("type") in ("machine-learning-model", "data"):
            group = c.get("group")
            names[f"{group}/{c['name']}" if group else c["name"]] = json.dumps(c)
    return names, dt


def score(tp: int, fp: int, fn: int) -> tuple[float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def matches(expected: str, got: dict[str, str]) -> str | None:
    """The cdxgen component that stands for an expected one: same name, same last path segment (cdxgen puts
    the provider or org in ``group``), or, for a local file, a component whose record names that file."""
    if expected in got:
        return expected
    last = expected.split("/")[-1]
    for g, record in sorted(got.items()):
        if g.endswith("/" + last) or g == last or ("." in last and last in record):
            return g
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-cdxgen", action="store_true")
    ap.add_argument("--project", action="append", default=[], metavar="DIR=LABEL")
    args = ap.parse_args()
    work: list[tuple[str, Path, Path]] = [
        (p.name.removesuffix(".expected.json"), PROJECTS / p.name.removesuffix(".expected.json"), p)
        for p in sorted(PROJECTS.glob("*.expected.json"))
    ]
    for spec in args.project:
        d, _, lab = spec.partition("=")
        work.append((Path(lab).name.removesuffix(".expected.json"), Path(d), Path(lab)))
    totals = {"gate": [0, 0, 0], "cdxgen": [0, 0, 0]}
    attr_errors: list[str] = []
    svc_missing: list[str] = []
    rows = []
    ran_cdxgen = False
    for name, project, label_path in work:
        label = json.loads(label_path.read_text())
        comps, services, gate_s = gate_components(project)
        got = {c["name"]: c for c in comps}
        must = {m["name"]: m for m in label["must"]}
        tp = [n for n in must if n in got]
        fn = [n for n in must if n not in got]
        fp = [n for n in got if n not in must]
        forbidden = [n for n in label["must_not"] + label.get("tests_only", []) if n in got]
        for n in tp:
            attr_errors += [f"{name}: {e}" for e in attribute_errors(must[n], got[n])]
        svc_missing += [f"{name}: {s}" for s in label.get("services", []) if s not in services]
        svc_extra = sorted(services - set(label.get("services", [])))
        svc_missing += [f"{name}: unexpected service {s}" for s in svc_extra]
        totals["gate"][0] += len(tp)
        totals["gate"][1] += len(fp)
        totals["gate"][2] += len(fn)
        cdx, cdx_s = (None, 0.0) if args.no_cdxgen else cdxgen_names(project)
        cdx_cells = "not run"
        if cdx is not None:
            ran_cdxgen = True
            hits = {n: matches(n, cdx) for n in must}
            ctp = [n for n, g in hits.items() if g]
            cfp = [g for g in cdx if g not in set(hits.values())]
            totals["cdxgen"][0] += len(ctp)
            totals["cdxgen"][1] += len(cfp)
            totals["cdxgen"][2] += len(must) - len(ctp)
            cdx_cells = f"tp {len(ctp)} fp {len(cfp)} fn {len(must) - len(ctp)} ({cdx_s:.1f} s)"
            if cfp:
                cdx_cells += f" false: {sorted(cfp)[:6]}"
        rows.append((name, len(must), len(tp), len(fp), len(fn), forbidden, gate_s, cdx_cells, fp, fn))
    print(f"{'project':28} {'labelled':>8} {'tp':>4} {'fp':>4} {'fn':>4}  {'gate s':>7}  cdxgen -t ai")
    for name, n, tp, fp, fn, forbidden, gs, cdx_cells, fps, fns in rows:
        print(f"{name:28} {n:>8} {tp:>4} {fp:>4} {fn:>4}  {gs:>7.3f}  {cdx_cells}")
        if fps:
            print(f"{'':28} false components: {fps}")
        if fns:
            print(f"{'':28} missed: {fns}")
        if forbidden:
            print(f"{'':28} forbidden names yielded: {forbidden}")
    p, r = score(*totals["gate"])
    print(
        f"\ngate:   precision {p:.3f}  recall {r:.3f}  (tp {totals['gate'][0]}, fp {totals['gate'][1]}, "
        f"fn {totals['gate'][2]})"
    )
    if ran_cdxgen:
        cp, cr = score(*totals["cdxgen"])
        print(
            f"cdxgen: precision {cp:.3f}  recall {cr:.3f}  (tp {totals['cdxgen'][0]}, fp {totals['cdxgen'][1]}, "
            f"fn {totals['cdxgen'][2]})"
        )
    print(f"attribute mismatches (kind/source/env/revision/provider): {len(attr_errors)}")
    for e in attr_errors:
        print("  " + e)
    print(f"service mismatches: {len(svc_missing)}")
    for e in svc_missing:
        print("  " + e)
    ok = totals["gate"][1] == 0 and totals["gate"][2] == 0 and not attr_errors and not svc_missing
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
