"""Launch configurations: MCP client configs and registry server.json packages become components with
"pinned or not" recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.launch import LaunchCollector, launch_component, parse_image
from gate.errors import InputError

DIGEST = "sha256:" + "ab" * 32


def run(target: Path) -> tuple[Inventory, object]:
    inv = Inventory(Settings(target=target.resolve()))
    return inv, LaunchCollector().collect(inv)


def one(argv: list[str]):  # type: ignore[no-untyped-def]
    return launch_component(argv, file=".mcp.json", line=3, server="s")


@pytest.mark.parametrize(
    ("argv", "purl", "pinned"),
    [
        (
            ["npx", "-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/data"],
            "pkg:npm/%40modelcontextprotocol/server-filesystem@2025.8.21",
            True,
        ),
        (["npx", "-y", "mcp-remote@latest", "https://x"], "pkg:npm/mcp-remote", False),
        (["npx", "mcp-remote@^0.1.0"], "pkg:npm/mcp-remote", False),
        (["npx", "-y", "some-server"], "pkg:npm/some-server", False),
        (["npx", "--yes", "--package", "pkg-a@1.2.3", "--", "bin-a"], "pkg:npm/pkg-a@1.2.3", True),
        (["npx", "-p=pkg-b@2.0.0", "run-b"], "pkg:npm/pkg-b@2.0.0", True),
        (["pnpm", "dlx", "tool@3.1.4"], "pkg:npm/tool@3.1.4", True),
        (["bunx", "tool@3.1.4"], "pkg:npm/tool@3.1.4", True),
        (["npm", "exec", "--", "tool@3.1.4"], "pkg:npm/tool@3.1.4", True),
        (["uvx", "mcp-server-git==2025.7.1", "--repository", "."], "pkg:pypi/mcp-server-git@2025.7.1", True),
        (["uvx", "mcp-server-fetch@2025.4.7"], "pkg:pypi/mcp-server-fetch@2025.4.7", True),
        (["uvx", "mcp-server-fetch"], "pkg:pypi/mcp-server-fetch", False),
        (["uvx", "--from", "mcp-server-fetch>=1", "mcp-server-fetch"], "pkg:pypi/mcp-server-fetch", False),
        (["uvx", "--python", "3.12", "Mcp_Server.X[cli]==1.0"], "pkg:pypi/mcp-server-x@1.0", True),
        (["uv", "tool", "run", "pkg==1.0.0"], "pkg:pypi/pkg@1.0.0", True),
        (["pipx", "run", "some-tool"], "pkg:pypi/some-tool", False),
        (["pipx", "run", "--spec", "some-tool==0.3.1", "some-tool"], "pkg:pypi/some-tool@0.3.1", True),
        (
            ["docker", "run", "-i", "--rm", "-e", "TOKEN", "ghcr.io/github/github-mcp-server:v1.0"],
            "pkg:docker/github/github-mcp-server@v1.0?repository_url=ghcr.io/github/github-mcp-server",
            False,
        ),
        (["docker", "run", "-i", "--rm", f"mcp/fetch@{DIGEST}"], f"pkg:docker/mcp/fetch@{DIGEST}", True),
        (["podman", "run", "--network=none", "mcp/time"], "pkg:docker/mcp/time", False),
        (["cmd", "/c", "npx", "-y", "tool@3.1.4"], "pkg:npm/tool@3.1.4", True),
        (["sh", "-c", "npx -y tool@latest --flag"], "pkg:npm/tool", False),
        (["env", "TOKEN=x", "uvx", "tool==1.0"], "pkg:pypi/tool@1.0", True),
    ],
)
def test_launch_commands(argv: list[str], purl: str, pinned: bool) -> None:
    c = one(argv)
    assert c is not None
    assert c.purl == purl and c.ref == purl
    assert c.pinned is pinned and c.extra["launch"]["pinned"] is pinned
    assert c.type == "application" and c.direct and c.scope == "required"
    assert c.extra["launch"]["server"] == "s" and c.extra["launch"]["config"] == ".mcp.json"


@pytest.mark.parametrize(
    "argv",
    [
        ["node", "build/index.js"],
        ["python", "-m", "server"],
        ["/usr/local/bin/my-server"],
        ["npx"],
        ["docker", "run"],
    ],
)
def test_local_commands_are_not_packages(argv: list[str]) -> None:
    assert one(argv) is None


def test_non_registry_specs_keep_their_source() -> None:
    c = one(["npx", "-y", "github:acme/mcp-server"])
    assert c is not None and c.purl is None and c.source.kind == "git" and not c.pinned
    c = one(["uvx", "--from", "git+https://github.com/acme/srv@" + "a" * 40, "srv"])
    assert c is not None and c.source.kind == "git" and c.pinned


def test_parse_image() -> None:
    assert parse_image("nginx") == (None, "nginx", None, None)
    assert parse_image("localhost:5000/a/b:1@" + DIGEST) == ("localhost:5000", "a/b", "1", DIGEST)
    assert parse_image("mcp/fetch:latest") == (None, "mcp/fetch", "latest", None)


def test_client_configs(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "fs": {
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/tmp"],
                    },
                    "remote": {"url": "https://example.com/mcp"},
                    "local": {"command": "node", "args": ["build/index.js"]},
                }
            },
            indent=2,
        )
    )
    (tmp_path / ".vscode" / "mcp.json").write_text(
        '{\n  // VS Code keeps comments\n  "servers": {\n    "time": {"type": "stdio", "command": "uvx",'
        ' "args": ["mcp-server-time"],},\n  },\n}\n'
    )
    (tmp_path / ".cursor" / "mcp.json").write_text(
        '{"mcpServers": {"gh": {"command": "docker run -i ghcr.io/x/y"}}}'
    )
    (tmp_path / ".vscode" / "settings.json").write_text(
        '{"mcp": {"servers": {"r": {"command": "npx", "args": ["r@1.0.0"]}}}}'
    )
    (tmp_path / "claude_desktop_config.json").write_text(
        '{"mcpServers": {"m": {"command": "npx", "args": ["m"]}}}'
    )
    (tmp_path / "settings.json").write_text('{"editor.fontSize": 12}')
    inv, status = run(tmp_path)
    assert status.status == "ok"  # type: ignore[attr-defined]
    by_server = {c.extra["launch"]["server"]: c for c in inv.components}
    assert set(by_server) == {"fs", "time", "gh", "r", "m"}
    assert by_server["fs"].pinned and not by_server["time"].pinned and not by_server["gh"].pinned
    assert by_server["r"].locations[0].file == ".vscode/settings.json"
    assert by_server["time"].locations[0] == by_server["time"].locations[0].__class__(
        file=".vscode/mcp.json", line=4, symbol="time"
    )
    assert by_server["fs"].locations[0].line == 3


def test_server_json_packages(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(
        json.dumps(
            {
                "$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json",
                "name": "io.github.acme/weather",
                "version": "1.2.0",
                "packages": [
                    {
                        "registryType": "npm",
                        "identifier": "@acme/weather-mcp",
                        "version": "1.2.0",
                        "transport": {"type": "stdio"},
                    },
                    {"registryType": "pypi", "identifier": "acme-weather-mcp", "version": "1.2.0"},
                    {"registryType": "oci", "identifier": "docker.io/acme/weather-mcp", "version": "1.2.0"},
                    {"registryType": "npm", "identifier": "@acme/loose"},
                ],
            },
            indent=2,
        )
    )
    inv, _ = run(tmp_path)
    purls = {c.purl: c.pinned for c in inv.components}
    assert purls == {
        "pkg:npm/%40acme/weather-mcp@1.2.0": True,
        "pkg:pypi/acme-weather-mcp@1.2.0": True,
        "pkg:docker/acme/weather-mcp@1.2.0?repository_url=docker.io/acme/weather-mcp": False,
        "pkg:npm/%40acme/loose": False,
    }
    npm = next(c for c in inv.components if c.name == "@acme/weather-mcp")
    assert npm.extra["launch"]["server"] == "io.github.acme/weather" and npm.locations[0].line == 8


def test_malformed_config_names_the_file(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {')
    with pytest.raises(InputError) as e:
        run(tmp_path)
    assert e.value.path == ".mcp.json"


def test_no_configs_is_skipped(tmp_path: Path) -> None:
    _, status = run(tmp_path)
    assert status.status == "skipped"  # type: ignore[attr-defined]


def test_unreadable_editor_settings_do_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"mcp": {"servers": {')  # truncated
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"m": {"command": "npx", "args": ["m@1.0.0"]}}}')
    inv, status = run(tmp_path)
    assert status.status == "incomplete"  # type: ignore[attr-defined]
    assert status.errors[0].file == "settings.json"  # type: ignore[attr-defined]
    assert [c.name for c in inv.components] == ["m"]
