"""Lock, diff and check of a 500-tool MCP server: wall time of each step, in-process and through the CLI.

Two inputs: a saved tools/list JSON (``--tools-json``, what CI usually has) and a Python source file with 500
``@mcp.tool()`` functions (static extraction, schemas built by the SDK). After locking, one character of
one parameter description is changed and the diff must show it. A peer's check (Cisco mcp-scanner's YARA
analyzer, from a separate venv) runs on the same descriptions when ``--peer-python`` is given.

    .venv/bin/python benchmarks/bench_tools.py [--tools 500] [--peer-python /tmp/peer-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.collect import Settings  # noqa: E402
from gate.collect.mcp.tools import analyse, extract, lock_path  # noqa: E402
from gate.collect.mcp.tools.lock import lock_status, write_lock  # noqa: E402


def make_json(n: int) -> dict[str, object]:
    tools = []
    for i in range(n):
        tools.append(
            {
                "name": f"tool_{i}",
                "description": f"Tool number {i}: reads records of kind {i} from the store and returns them as JSON.",
                "inputSchema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": f"What to look for in store {i}"},
                        "limit": {"type": "integer", "default": 10, "minimum": 1, "maximum": 100},
                        "mode": {"type": "string", "enum": ["any", "all"]},
                    },
                    "required": ["query"],
                },
                "annotations": {"readOnlyHint": True},
            }
        )
    return {"tools": tools, "instructions": "A large synthetic server."}


def make_python(n: int) -> str:
    out = [
        "from typing import Annotated",
        "from pydantic import Field",
        "from mcp.server.mcpserver import MCPServer",
        "mcp = MCPServer('big', instructions='A large synthetic server.')",
        "",
    ]
    for i in range(n):
        out += [
            "@mcp.tool()",
            f"def tool_{i}(query: Annotated[str, Field(description='What to look for in store {i}')], "
            f"limit: int = 10) -> list[str]:",
            f"    '''Tool number {i}: reads records of kind {i} from the store.'''",
            "    return []",
            "",
        ]
    return "\n".join(out)


def timed(label: str, fn, results: dict[str, float]):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - t0
    return value


def bench(kind: str, root: Path, settings: Settings, mutate, results: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    ex = timed(f"{kind}: extract", lambda: extract(settings), results)
    timed(f"{kind}: lock", lambda: write_lock(ex.surface, lock_path(settings)), results)
    timed(
        f"{kind}: check (extract+detect+lock compare)",
        lambda: analyse(extract(settings), lock_path(settings)),
        results,
    )
    mutate()
    state, changes = timed(
        f"{kind}: diff after 1-char change",
        lambda: lock_status(lock_path(settings), extract(settings).surface),
        results,
    )
    assert state == "drift" and len(changes) == 1, (state, changes)
    field = changes[0].fields[0]
    print(f"  {kind}: one-character change shown as {changes[0].name} {field['path']}: {field.get('detail')}")


def cli_time(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "gate"), *args], capture_output=True, check=False)
    return time.perf_counter() - t0


PEER = r"""
import json, sys, time, asyncio
from mcpscanner.core.analyzers.yara_analyzer import YaraAnalyzer
tools = json.load(open(sys.argv[1]))["tools"]
t0 = time.perf_counter()
an = YaraAnalyzer()
async def main():
    for t in tools:
        await an.analyze(t["description"], {"tool_name": t["name"]})
asyncio.run(main())
print(time.perf_counter() - t0)
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tools", type=int, default=500)
    ap.add_argument("--peer-python", default=None)
    args = ap.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        jroot = root / "json"
        jroot.mkdir()
        saved = jroot / "tools.json"
        data = make_json(args.tools)
        saved.write_text(json.dumps(data))
        settings = Settings(target=jroot, options={"tools_json": str(saved)})

        def mutate_json() -> None:
            data["tools"][250]["inputSchema"]["properties"]["query"]["description"] += "."  # type: ignore[index]
            saved.write_text(json.dumps(data))

        bench("tools-json", jroot, settings, mutate_json, results)
        proot = root / "py"
        proot.mkdir()
        src = proot / "server.py"
        src.write_text(make_python(args.tools))
        psettings = Settings(target=proot)

        def mutate_py() -> None:
            src.write_text(src.read_text().replace("in store 250'", "in store 250.'"))

        bench("python-source", proot, psettings, mutate_py, results)
        results["CLI gate tools check --tools-json (process)"] = cli_time(
            ["tools", "check", str(jroot), "--tools-json", str(saved), "--format", "json"]
        )
        results["CLI gate tools check (python source, process)"] = cli_time(
            ["tools", "check", str(proot), "--format", "json"]
        )
        peer_s = None
        if args.peer_python:
            r = subprocess.run([args.peer_python, "-c", PEER, str(saved)], capture_output=True, text=True)
            if r.returncode == 0:
                peer_s = float(r.stdout.strip().splitlines()[-1])
            else:
                print("peer failed:", r.stderr[-500:], file=sys.stderr)
    print(f"{args.tools} tools")
    for k, v in results.items():
        print(f"  {k:55} {v * 1000:8.0f} ms")
    if peer_s is not None:
        ours = results["tools-json: check (extract+detect+lock compare)"]
        print(
            f"  {'cisco-ai-mcp-scanner YARA analyzer (descriptions only)':55} {peer_s * 1000:8.0f} ms "
            f"(ratio peer/gate {peer_s / ours:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
