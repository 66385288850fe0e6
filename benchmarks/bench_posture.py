"""Server posture: static rules on a large real code base, the live probe of one server, and the probe
against misbehaving servers. Side by side with bandit (the usual Python security linter) on the same code.

    .venv/bin/python benchmarks/bench_posture.py [--peer /tmp/posture-bench/bin/bandit] [--runs 5]

The static corpus is real HTTP/auth-heavy code: the installed ``mcp`` SDK, starlette, uvicorn and httpx2
(copied to a temporary directory, about 55,000 lines). Peers are installed outside the product:
``python -m venv /tmp/posture-bench && /tmp/posture-bench/bin/pip install bandit``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "evidence" / "posture" / "servers"))

from gate.collect import Inventory, Settings  # noqa: E402
from gate.evidence.posture import PostureCollector  # noqa: E402
from gate.evidence.posture.probe import run_probe  # noqa: E402

PACKAGES = ("mcp", "starlette", "uvicorn", "httpx2")


def corpus(dest: Path) -> int:
    import mcp

    site = Path(mcp.__file__).resolve().parents[1]
    lines = 0
    for name in PACKAGES:
        src = site / name
        shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))
    for p in dest.rglob("*.py"):
        lines += p.read_text(encoding="utf-8", errors="replace").count("\n")
    return lines


CPU: list[float] = []


def median_time(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall time; the median CPU time of this process and its children goes to CPU[-1]."""
    import resource

    times, cpu, result = [], [], None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(
            sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))
        )
    CPU.append(statistics.median(cpu))
    return statistics.median(times), result


def static(runs: int, peer: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        lines = corpus(root)

        def ours():  # type: ignore[no-untyped-def]
            inv = Inventory(Settings(target=root, include_tests=True))
            PostureCollector().collect(inv)
            return inv.mcp["posture"]["static"]

        seconds, findings = median_time(ours, runs)
        rules: dict[str, int] = {}
        for f in findings:  # type: ignore[attr-defined]
            rules[f["rule"]] = rules.get(f["rule"], 0) + 1
        print(f"static rules: {lines} lines of Python ({', '.join(PACKAGES)})")
        print(
            f"  gate posture: {seconds:.2f} s wall, {CPU[-1]:.2f} s CPU (median of {runs}), "
            f"{len(findings)} findings {rules}"
        )  # type: ignore[arg-type]
        if peer:

            def theirs():  # type: ignore[no-untyped-def]
                out = subprocess.run(
                    [peer, "-r", str(root), "-q", "-f", "json"], capture_output=True, text=True
                )
                return json.loads(out.stdout or "{}").get("results", [])

            peer_seconds, results = median_time(theirs, max(1, runs // 2))
            high = sum(1 for r in results if r.get("issue_severity") in ("HIGH", "MEDIUM"))  # type: ignore[attr-defined]
            print(
                f"  bandit:       {peer_seconds:.2f} s wall, {CPU[-1]:.2f} s CPU, {len(results)} results "
                f"({high} medium/high)"
            )  # type: ignore[arg-type]
            print(f"  ratio bandit/gate: {peer_seconds / seconds:.1f}x wall, {CPU[-1] / CPU[-2]:.1f}x CPU")


def static_ts(runs: int) -> None:
    """No large TypeScript MCP code base is available offline: the TS/JS test servers (every one a rule
    trigger), wrapped in functions and repeated to 50,000 lines, are a worst case for the tree-sitter rules."""
    servers = ROOT / "tests" / "evidence" / "posture" / "servers" / "static"
    body = "\n".join(p.read_text() for p in sorted(servers.iterdir()) if p.suffix in (".ts", ".js"))
    body = body.replace("import ", "// import ")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ts"
        root.mkdir()
        lines = i = 0
        while lines < 50_000:
            chunk = "\n".join(f"export function block{i}_{k}() {{\n{body}\n}}" for k in range(4))
            (root / f"f{i}.ts").write_text(chunk)
            lines += chunk.count("\n")
            i += 1

        def ours():  # type: ignore[no-untyped-def]
            inv = Inventory(Settings(target=root, include_tests=True))
            PostureCollector().collect(inv)
            return inv.mcp["posture"]["static"]

        seconds, findings = median_time(ours, runs)
        print(f"static rules: {lines} lines of rule-dense TypeScript in {i} files")
        print(
            f"  gate posture: {seconds:.2f} s wall, {CPU[-1]:.2f} s CPU (median of {runs}), "
            f"{len(findings)} findings"
        )  # type: ignore[arg-type]


def probe(runs: int) -> None:
    server = f"{sys.executable} {ROOT / 'tests' / 'evidence' / 'posture' / 'servers' / 'sdk_server.py'}"
    seconds, report = median_time(lambda: run_probe(launch=server), runs)
    statuses = [r.status for r in report.results]  # type: ignore[attr-defined]
    print(
        f"full probe of the SDK server (launch, 11 checks, throwaway issuer and proxy): {seconds:.2f} s wall, "
        f"{CPU[-1]:.2f} s CPU with the server "
        f"(median of {runs}); {statuses.count('pass')} pass, {statuses.count('fail')} fail"
    )


def misbehaving() -> None:
    from pathological import BEHAVIOURS, serve

    print("misbehaving servers (per-request limit 3 s):")
    for name in sorted(BEHAVIOURS):
        with serve(name) as url:
            t = time.perf_counter()
            report = run_probe(url)
            print(f"  {name:13} {time.perf_counter() - t:5.2f} s  {report.error}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--peer", default="/tmp/posture-bench/bin/bandit")
    args = ap.parse_args()
    peer = args.peer if args.peer and Path(args.peer).exists() else None
    static(args.runs, peer)
    static_ts(args.runs)
    probe(args.runs)
    misbehaving()


if __name__ == "__main__":
    main()
