"""Full `gate check` (inventory + evidence + SBOM + policy + report) against cdxgen's SBOM-only run.

    python benchmarks/bench_check_vs_cdxgen.py [TARGET] [--runs N] [--cdxgen PATH] [--install DIR]

TARGET defaults to the mcp-server-qdrant fixture (a uv.lock of 112 packages). The target is copied to a
temporary directory so neither tool writes next to the fixture. cdxgen comes from the npm registry
(`npm install --prefix /tmp/cdxgen @cyclonedx/cdxgen@12`); point --cdxgen (or $CDXGEN) at its binary.
Prints the median wall time of each, the ratio of the medians and the median of the run-by-run ratios
(the two commands alternate, run by run).

By default the gate of this interpreter's environment runs (in a development checkout, an editable install,
whose import hook costs every start-up about 10 ms). ``--install DIR`` times the gate as users install it
instead: a regular install of this checkout in the virtual environment DIR, created or refreshed with uv
(a development dependency) before timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TARGET = REPO.parent / "shared" / "fixtures" / "lockfiles" / "mcp-server-qdrant"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the command and all its processes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def regular_install(venv: Path) -> Path:
    """``gate`` from a regular (non-editable) install of this checkout in ``venv``, bytecode compiled."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        sys.exit("--install needs uv (pip install uv)")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Built from a copy: a build/ folder left in the checkout could carry stale modules into the wheel.
        src = Path(tmp) / "src"
        skip = shutil.ignore_patterns(
            ".git", ".venv", ".ci", "build", "dist", "*.egg-info", "__pycache__", "tests"
        )
        shutil.copytree(REPO, src, ignore=skip)
        install = [uv, "pip", "install", "-q", "--python", str(python), "--compile-bytecode"]
        subprocess.run([*install, "--reinstall-package", "mcp-gate", str(src)], check=True)
    return venv / "bin" / "gate"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("target", nargs="?", default=str(DEFAULT_TARGET))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cdxgen", default=os.environ.get("CDXGEN", "/tmp/cdxgen/node_modules/.bin/cdxgen"))
    ap.add_argument("--cdxgen-type", default="python")
    ap.add_argument("--install", metavar="DIR", help="time a regular install of this checkout in venv DIR")
    args = ap.parse_args()

    gate = str(regular_install(Path(args.install)) if args.install else Path(sys.executable).parent / "gate")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "target"
        shutil.copytree(args.target, work)
        env = dict(
            os.environ,
            GATE_CACHE_DIR=str(Path(tmp) / "cache"),
            FETCH_LICENSE="false",
            CDXGEN_DEBUG_MODE="",
            NODE_NO_WARNINGS="1",
        )
        # Time the gate as installed, with its bytecode cached (the warm-up run writes it), like cdxgen's
        # node modules: a shell that sets PYTHONDONTWRITEBYTECODE would time compiling the sources instead.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        gate_cmd = [
            gate,
            "check",
            str(work),
            "--format",
            "json",
            "-o",
            str(Path(tmp) / "report.json"),
            "--sbom-output",
            str(Path(tmp) / "gate.cdx.json"),
        ]
        cdx_cmd = [
            args.cdxgen,
            "-t",
            args.cdxgen_type,
            "--lifecycle",
            "pre-build",
            "--no-install-deps",
            "-o",
            str(Path(tmp) / "cdxgen.json"),
            str(work),
        ]
        timed(gate_cmd, env)  # warm the file cache and Python's bytecode cache
        timed(cdx_cmd, env)
        # Alternated, so that a change in the machine's speed during the runs (shared hosts) weighs on both.
        gate_runs, cdx_runs = [], []
        for _ in range(args.runs):
            gate_runs.append(timed(gate_cmd, env))
            cdx_runs.append(timed(cdx_cmd, env))
    gate_times, cdx_times = [w for w, _ in gate_runs], [w for w, _ in cdx_runs]
    gate_cpu, cdx_cpu = statistics.median(c for _, c in gate_runs), statistics.median(c for _, c in cdx_runs)
    g, c = statistics.median(gate_times), statistics.median(cdx_times)
    print(f"target: {args.target}")
    print(f"gate: {gate}")
    print(
        f"gate check (full):      median {g:.3f} s, CPU {gate_cpu:.3f} s  ({', '.join(f'{t:.2f}' for t in gate_times)})"
    )
    print(
        f"cdxgen (SBOM only):     median {c:.3f} s, CPU {cdx_cpu:.3f} s  ({', '.join(f'{t:.2f}' for t in cdx_times)})"
    )
    pairs = statistics.median(gw / cw for (gw, _), (cw, _) in zip(gate_runs, cdx_runs, strict=True))
    print(f"ratio gate/cdxgen: {g / c:.3f}  (target: <= 0.2); median of the run-by-run ratios: {pairs:.3f}")


if __name__ == "__main__":
    main()
