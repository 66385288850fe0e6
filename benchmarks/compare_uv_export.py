"""Compare the Python inventory's production set with ``uv export --no-dev --frozen``, and time both.

    python benchmarks/compare_uv_export.py [--uv PATH] [--runs N] [DIR ...]

Defaults to the uv-locked MCP servers in ``../shared/fixtures/lockfiles/`` (mcp-server-qdrant, the fetch and
git reference servers). uv is a peer here, not a dependency: install it in a separate virtualenv
(``python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install uv``) and pass ``--uv``. For each folder
the script prints the packages only one side lists (there should be none), both with and without the
project's extras (``--all-extras``), and the median wall time of the collector and of ``uv export``.
Exit status 1 when a set differs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gate.collect import Inventory, Settings  # noqa: E402
from gate.collect.python import PythonCollector  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "lockfiles"
DEFAULT_DIRS = [
    FIXTURES / "mcp-server-qdrant",
    FIXTURES / "servers" / "src" / "fetch",
    FIXTURES / "servers" / "src" / "git",
]


def uv_export(uv: str, folder: Path, *extra: str) -> set[tuple[str, str]]:
    # uv writes nothing into the tree with --frozen, but work on a copy anyway: the fixtures are shared.
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work)
        out = subprocess.run(
            [
                uv,
                "export",
                "--no-dev",
                "--frozen",
                "--offline",
                "--no-hashes",
                "--no-header",
                "--no-annotate",
                *extra,
            ],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    found = set()
    for line in out.splitlines():
        req = line.split(";")[0].strip()
        if req.startswith("-e") or not req:
            continue
        if "==" in req:
            name, version = req.split("==", 1)
            found.add((name.strip(), version.strip()))
        elif " @ " in req:
            found.add((req.split(" @ ")[0].strip(), "@"))
    return found


def ours(folder: Path, scopes: tuple[str, ...]) -> tuple[set[tuple[str, str]], float]:
    inv = Inventory(Settings(target=folder))
    start = time.perf_counter()
    run = PythonCollector().collect(inv)
    elapsed = time.perf_counter() - start
    if run.status != "ok":
        raise SystemExit(f"{folder}: collector {run.status}: {run.errors}")
    found = {
        (c.name, c.version if c.source.kind not in ("git", "url", "path") else "@")
        for c in inv.components
        if c.scope in scopes
    }
    return {(n, v or "") for n, v in found}, elapsed


def timed(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--uv", default=shutil.which("uv") or "/tmp/bench-venv/bin/uv")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not Path(args.uv).exists() and not shutil.which(args.uv):
        print(f"uv not found at {args.uv}: install it in a benchmark venv and pass --uv", file=sys.stderr)
        return 2
    version = subprocess.run([args.uv, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"peer: {version}")
    status = 0
    for folder in args.dirs or DEFAULT_DIRS:
        for label, uv_args, scopes in (
            ("no-dev", (), ("required",)),
            ("no-dev --all-extras", ("--all-extras",), ("required", "optional")),
        ):
            theirs = uv_export(args.uv, folder, *uv_args)
            mine, _ = ours(folder, scopes)
            only_ours, only_uv = sorted(mine - theirs), sorted(theirs - mine)
            verdict = "EQUAL" if not only_ours and not only_uv else "DIFFERENT"
            if verdict != "EQUAL":
                status = 1
            print(f"{folder.name:24} {label:20} gate={len(mine):4} uv={len(theirs):4} {verdict}")
            for item in only_ours:
                print(f"    only gate: {item}")
            for item in only_uv:
                print(f"    only uv:   {item}")
        t_gate = timed(lambda folder=folder: ours(folder, ("required",)), args.runs)
        t_uv = timed(lambda folder=folder: uv_export(args.uv, folder), args.runs)
        print(
            f"{folder.name:24} median of {args.runs}: gate collector {t_gate * 1000:.1f} ms, "
            f"uv export (incl. copy) {t_uv * 1000:.1f} ms, ratio uv/gate {t_uv / t_gate:.1f}"
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
