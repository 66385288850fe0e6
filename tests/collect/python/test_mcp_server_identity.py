"""The MCP server's identity and transports from pyproject.toml / package.json and the registry server.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.mcp.server import ServerCollector
from gate.errors import InputError

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "lockfiles"

SERVER_JSON = {
    "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
    "name": "io.github.example/weather",
    "description": "Weather forecasts over MCP",
    "version": "1.2.0",
    "repository": {"url": "https://github.com/example/weather", "source": "github"},
    "packages": [
        {
            "registryType": "pypi",
            "identifier": "weather-mcp",
            "version": "1.2.0",
            "runtimeHint": "uvx",
            "transport": {"type": "stdio"},
            "environmentVariables": [{"name": "WEATHER_API_KEY", "isSecret": True}],
        },
        {
            "registryType": "npm",
            "identifier": "@example/weather-mcp",
            "version": "1.2.0",
            "transport": {"type": "streamable-http", "url": "http://localhost:{port}/mcp"},
        },
    ],
    "remotes": [
        {
            "type": "streamable-http",
            "url": "https://weather.example.com/mcp",
            "headers": [{"name": "Authorization", "isRequired": True, "isSecret": True}],
        },
        {"type": "sse", "url": "https://weather.example.com/sse"},
    ],
}

PYPROJECT = """[project]
name = "weather-mcp"
version = "1.2.0"
description = "Weather forecasts over MCP"
dependencies = ["mcp>=1.23"]

[project.scripts]
weather-mcp = "weather_mcp.server:main"
"""


def run(target: Path, **kw: object) -> Inventory:
    inv = Inventory(Settings(target=target, **kw))  # type: ignore[arg-type]
    result = ServerCollector().collect(inv)
    inv.runs.append(result)
    return inv


def test_pyproject_and_server_json(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "server.json").write_text(json.dumps(SERVER_JSON, indent=2))
    inv = run(tmp_path)
    server = inv.server
    assert server is not None
    assert (server.name, server.version, server.ecosystem) == ("weather-mcp", "1.2.0", "pypi")
    assert server.purl == "pkg:pypi/weather-mcp@1.2.0"
    assert server.entry_points == {"weather-mcp": "weather_mcp.server:main"}
    assert server.registry_name == "io.github.example/weather"
    assert server.transports == ("sse", "stdio", "streamable-http")
    assert [p["identifier"] for p in server.packages] == ["weather-mcp", "@example/weather-mcp"]
    assert server.remotes[0]["url"] == "https://weather.example.com/mcp"
    assert [loc.file for loc in server.locations] == ["pyproject.toml", "server.json"]
    services = {s.extra["transport"]: s for s in inv.services}
    assert set(services) == {"stdio", "streamable-http", "sse"}
    assert all(s.kind == "mcp-transport" for s in services.values())
    http = services["streamable-http"]
    assert http.endpoints == ("http://localhost:{port}/mcp", "https://weather.example.com/mcp")
    assert http.authenticated is True and http.trust_boundary is True
    assert services["sse"].authenticated is None  # unknown, never guessed
    assert services["stdio"].endpoints == () and services["stdio"].authenticated is None
    assert services["stdio"].locations[0].file == "server.json"
    assert inv.runs[-1].status == "ok" and inv.runs[-1].stats["transports"] == 3


def test_package_json_bin_and_registry_type_pick(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "@example/weather-mcp", "version": "1.2.0", "bin": "dist/index.js"})
    )
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    doc = dict(SERVER_JSON, packages=[SERVER_JSON["packages"][1]], remotes=[])  # type: ignore[index]
    (tmp_path / "server.json").write_text(json.dumps(doc))
    inv = run(tmp_path)
    assert inv.server is not None
    assert inv.server.ecosystem == "npm" and inv.server.purl == "pkg:npm/%40example/weather-mcp@1.2.0"
    assert inv.server.entry_points == {"weather-mcp": "dist/index.js"}
    (svc,) = inv.services
    assert svc.extra["transport"] == "streamable-http" and svc.trust_boundary is None


def test_version_mismatch_is_noted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.replace("1.2.0", "1.3.0"))
    (tmp_path / "server.json").write_text(json.dumps(SERVER_JSON))
    inv = run(tmp_path)
    assert inv.server is not None and inv.server.version == "1.3.0"
    assert any("declares version 1.2.0" in n for n in inv.runs[-1].stats["notes"])


def test_without_server_json_no_transports(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    inv = run(tmp_path)
    assert inv.server is not None and inv.server.transports == () and inv.services == []
    assert inv.server.registry_name is None


def test_nothing_to_read_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello")
    inv = run(tmp_path)
    assert inv.server is None and inv.runs[-1].status == "skipped"


def test_server_json_without_name_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(json.dumps({"version": "1.0.0"}))
    with pytest.raises(InputError) as info:
        run(tmp_path)
    assert info.value.diagnostics() == "server.json: server.json has no 'name'"


def test_legacy_draft_fields(tmp_path: Path) -> None:
    (tmp_path / "server.json").write_text(
        json.dumps(
            {
                "name": "io.github.example/legacy",
                "version_detail": {"version": "0.9.0"},
                "packages": [{"registry_name": "pypi", "name": "legacy-mcp", "transport": "stdio"}],
            }
        )
    )
    inv = run(tmp_path)
    assert inv.server is not None
    assert (inv.server.name, inv.server.version, inv.server.transports) == (
        "io.github.example/legacy",
        "0.9.0",
        ("stdio",),
    )


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures is not beside the checkout")
def test_real_fixture_identity() -> None:
    inv = run(FIXTURES / "mcp-server-qdrant")
    assert inv.server is not None
    assert inv.server.name == "mcp-server-qdrant" and inv.server.version == "0.8.1"
    assert inv.server.entry_points == {"mcp-server-qdrant": "mcp_server_qdrant.main:main"}
    assert inv.server.locations[0].line == 2
