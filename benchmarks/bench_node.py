"""Wall time and peak memory: the gate's Node inventory (and SBOM) against ``cdxgen -t js`` on the same tree.

Each measurement is a fresh process (interpreter start-up and imports included), run alternately with the
peer so that both see the same machine load; the median of ``--runs`` is reported with the peak resident
set size of the child (``wait4``). Measured:

- ``cdxgen -t js`` (SBOM only, lockfile based; cdxgen 12.x installed into /tmp, never into the product);
- ``gate node inventory``: the Node collector alone on the tree;
- ``gate node inventory + SBOM``: the Node and launch collectors, then the CycloneDX writer;
- ``gate sbom``: the whole command (every collector, evidence, SBOM).

Usage: ``python benchmarks/bench_node.py [TREE] [--runs 5] [--cdxgen PATH]`` (default tree: the
claude-context fixture, a pnpm v9 monorepo of about a thousand packages).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURE = (
    Path(os.environ.get("GATE_FIXTURES", ROOT.parent / "shared" / "fixtures"))
    / "lockfiles"
    / "claude-context"
)

INVENTORY = """
import sys
from pathlib import Path
from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector
inv = Inventory(Settings(target=Path(sys.argv[1]).resolve()))
run = NodeCollector().collect(inv)
assert run.status == "ok", run
print(len(inv.components))
"""

NODE_SBOM = """
import json, sys
from pathlib import Path
from gate import pipeline
from gate.collect import Settings
from gate.document import build_document
from gate.sbom import build_sbom
pipeline.INVENTORY_COLLECTORS = ["gate.collect.node:NodeCollector", "gate.collect.launch:LaunchCollector"]
pipeline.EVIDENCE_COLLECTORS = []
inv = pipeline.collect(Settings(target=Path(sys.argv[1]).resolve()))
build_document(inv)
Path(sys.argv[2]).write_text(json.dumps(build_sbom(inv)))
print(len(inv.components))
"""


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:3])}... exited {proc.returncode}")
    return wall, usage.ru_maxrss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=str(FIXTURE))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cdxgen", default=shutil.which("cdxgen") or "/tmp/node-cdx/node_modules/.bin/cdxgen")
    ap.add_argument("--no-full", action="store_true", help="Skip the full `gate sbom` command.")
    args = ap.parse_args()
    py = sys.executable
    gate = str(Path(py).with_name("gate"))
    env = {**os.environ, "FETCH_LICENSE": "false", "CDXGEN_DEBUG_MODE": ""}
    results: dict[str, list[tuple[float, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="gate-bench-node-") as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(args.tree, tree)
        cases = {
            "cdxgen -t js": [args.cdxgen, "-t", "js", "-o", f"{tmp}/cdxgen.json", str(tree)],
            "gate node inventory": [py, "-c", INVENTORY, str(tree)],
            "gate node inventory + SBOM": [py, "-c", NODE_SBOM, str(tree), f"{tmp}/gate-node.json"],
        }
        if not args.no_full:
            cases["gate sbom (everything)"] = [gate, "sbom", str(tree), "-o", f"{tmp}/gate.json"]
        for cmd in cases.values():  # warm the file cache once
            measure(cmd, env)
        for _ in range(args.runs):
            for name, cmd in cases.items():
                results.setdefault(name, []).append(measure(cmd, env))
    base = statistics.median(w for w, _ in results["cdxgen -t js"])
    print(f"tree: {args.tree}  runs: {args.runs}  (median wall, peak RSS)")
    for name, rows in results.items():
        wall = statistics.median(w for w, _ in rows)
        rss = max(r for _, r in rows) / 1024
        ratio = (
            ""
            if name.startswith("cdxgen")
            else f"  {wall / base:.2f}x cdxgen's time ({base / wall:.1f}x faster)"
        )
        print(f"  {name:30s} {wall:6.2f} s  {rss:6.0f} MiB{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
