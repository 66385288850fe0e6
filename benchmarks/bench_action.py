"""The Action end to end through the local runner harness, from a clean checkout: create the private
venv, install from the hash-pinned requirements, gate the example server offline, write the outputs.

    python benchmarks/bench_action.py [--cold]

--cold uses an empty package cache (downloads every wheel from the registry); without it the machine's
cache is used, as on a runner where actions/cache restored it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.action.harness import run_action  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        checkout = base / "checkout"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(checkout)], check=True)
        workspace = base / "workspace"
        shutil.copytree(checkout / "examples", workspace / "examples")
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "GATE_VENV": str(base / "venv"),
            "GATE_CACHE_DIR": str(base / "cache"),
        }
        if args.cold:
            env["UV_CACHE_DIR"] = str(base / "uv-cache")
            env["PIP_CACHE_DIR"] = str(base / "pip-cache")
        start = time.perf_counter()
        run = run_action(
            checkout, workspace, base / "runner", {"path": "examples/notes-server"}, extra_env=env
        )
        elapsed = time.perf_counter() - start
    print(
        f"action end to end ({'cold' if args.cold else 'warm'} package cache): {elapsed:.1f} s, "
        f"exit {run.exit_code}, decision {run.outputs.get('decision')}  (target: < 60 s)"
    )


if __name__ == "__main__":
    main()
