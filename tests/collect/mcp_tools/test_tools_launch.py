"""Launching example servers: static extraction equals tools/list field for field; hostile servers give a
clear error in bounded time; a server that shows different tools to different clients is reported."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gate.collect.mcp.tools.launch import launch
from gate.collect.mcp.tools.static_python import extract_file
from gate.collect.mcp.tools.surface import KINDS

SERVERS = Path(__file__).parent / "servers"


def _by_key(surface):  # type: ignore[no-untyped-def]
    return {(i.kind, i.key): i.definition for i in surface.items}


@pytest.mark.parametrize("server", ["fastmcp_server.py", "lowlevel_server.py"])
def test_static_extraction_equals_tools_list(server: str) -> None:
    static = extract_file(SERVERS / server, server)
    result = launch(f"{sys.executable} {SERVERS / server}", cwd=SERVERS, timeout=30)
    assert result.errors == [], result.errors
    assert result.surface is not None
    live, mine = _by_key(result.surface), _by_key(static)
    assert set(live) == set(mine)
    for key, definition in live.items():
        assert mine[key] == definition, key  # field for field
    assert static.instructions == result.surface.instructions
    assert {k for k in KINDS if static.of(k)} == {k for k in KINDS if result.surface.of(k)}
    assert all(i.location and i.location.line for i in static.items)
    assert result.identity_diff == []
    assert "network" in result.evidence


def test_client_identity_difference_is_reported() -> None:
    result = launch(f"{sys.executable} {SERVERS / 'two_faced_server.py'}", cwd=SERVERS, timeout=30)
    assert result.surface is not None
    assert [(d["change"], d["name"]) for d in result.identity_diff] == [("added", "sync_notes")]


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return f"{sys.executable} {path}"


def test_server_that_never_answers(tmp_path: Path) -> None:
    cmd = _script(tmp_path, "hang.py", "import time\ntime.sleep(600)\n")
    result = launch(cmd, cwd=tmp_path, timeout=2)
    assert result.surface is None
    assert any("no answer within 2 s" in e for e in result.errors)


def test_server_that_floods_stdout(tmp_path: Path) -> None:
    cmd = _script(
        tmp_path, "flood.py", "import sys\nc = 'x' * (1 << 20)\nwhile True:\n    sys.stdout.write(c)\n"
    )
    result = launch(cmd, cwd=tmp_path, timeout=2)
    assert result.surface is None
    assert result.errors


def test_server_that_exits_mid_handshake(tmp_path: Path) -> None:
    cmd = _script(tmp_path, "die.py", "import sys\nsys.stdin.readline()\nsys.exit(3)\n")
    result = launch(cmd, cwd=tmp_path, timeout=5)
    assert result.surface is None
    assert any("closed the connection" in e or "exited" in e for e in result.errors), result.errors


def test_launch_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    body = (
        "import os, anyio, mcp_types as types\n"
        "from mcp.server import Server\nfrom mcp.server.stdio import stdio_server\n"
        "async def lt(ctx, p):\n"
        "    leaked = 'AWS_SECRET_ACCESS_KEY' in os.environ\n"
        "    home = os.environ.get('HOME', '')\n"
        '    d = f\'leaked={leaked} home_is_tmp={home.startswith("/tmp") or "gate-launch" in home}\'\n'
        "    return types.ListToolsResult(tools=[types.Tool(name='env', description=d, input_schema={'type': 'object'})])\n"
        "s = Server('env', on_list_tools=lt)\n"
        "async def main():\n"
        "    async with stdio_server() as (r, w):\n"
        "        await s.run(r, w, s.create_initialization_options())\n"
        "anyio.run(main)\n"
    )
    result = launch(_script(tmp_path, "env.py", body), cwd=tmp_path, timeout=30)
    assert result.surface is not None, result.errors
    assert result.surface.tools[0].definition["description"] == "leaked=False home_is_tmp=True"


def test_http_launch_with_port_placeholder(tmp_path: Path) -> None:
    body = (
        "import sys\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer('http')\n"
        "@mcp.tool()\ndef ping(host: str) -> str:\n    'Ping a host.'\n    return host\n"
        "mcp.run('streamable-http', host='127.0.0.1', port=int(sys.argv[1]))\n"
    )
    result = launch(_script(tmp_path, "listening_server.py", body) + " {port}", cwd=tmp_path, timeout=30)
    assert result.surface is not None, result.errors
    assert [t.key for t in result.surface.tools] == ["ping"]
    assert result.evidence["transport"].startswith("streamable-http")


def _running(marker: str) -> bool:
    import os

    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if marker.encode() in fh.read():
                        return True
            except OSError:
                continue
    return False


def test_memory_ceiling_kills_worker_and_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from gate.collect.mcp.tools import launch as launch_module

    monkeypatch.setattr(launch_module, "MAX_WORKER_RSS", 1024 * 1024)  # any real worker is above 1 MiB
    cmd = _script(tmp_path, "ceiling_hang.py", "import time\ntime.sleep(600)\n")
    result = launch(cmd, cwd=tmp_path, timeout=30)
    assert result.surface is None
    assert any("MiB" in e for e in result.errors), result.errors
    time.sleep(0.5)
    assert not _running(str(tmp_path / "ceiling_hang.py"))


def test_url_of_a_running_loopback_server(tmp_path: Path) -> None:
    import socket
    import subprocess
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    body = (
        "import sys\nfrom mcp.server.mcpserver import MCPServer\nmcp = MCPServer('remote')\n"
        "@mcp.tool()\ndef hello(name: str) -> str:\n    'Say hello.'\n    return name\n"
        "mcp.run('streamable-http', host='127.0.0.1', port=int(sys.argv[1]))\n"
    )
    script = tmp_path / "running_server.py"
    script.write_text(body)
    server = subprocess.Popen(
        [sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        result = launch(url=f"http://127.0.0.1:{port}/mcp", cwd=tmp_path, timeout=30)
    finally:
        server.kill()
        server.wait()
    assert result.surface is not None, result.errors
    assert [t.key for t in result.surface.tools] == ["hello"]
    assert result.identity_diff == []


def test_url_must_be_loopback_without_network(tmp_path: Path) -> None:
    from gate.errors import UsageError

    with pytest.raises(UsageError, match="not a loopback address"):
        launch(url="https://mcp.example.com/mcp", cwd=tmp_path)
