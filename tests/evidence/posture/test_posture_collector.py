"""The posture evidence collector: what it puts in input.mcp.posture, scoping, determinism, failures."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.errors import InputError, UsageError
from gate.evidence.posture import PostureCollector

HERE = Path(__file__).parent
STATIC = HERE / "servers" / "static"
CONFIGS = HERE / "assets" / "configs"


def target(tmp_path: Path) -> Path:
    root = tmp_path / "server"
    (root / "src").mkdir(parents=True)
    shutil.copy(STATIC / "wrong_passthrough.py", root / "src" / "app.py")
    shutil.copy(STATIC / "wrong_session.ts", root / "src" / "transport.ts")
    shutil.copy(CONFIGS / "wrong" / ".mcp.json", root / ".mcp.json")
    (root / "tests").mkdir()
    shutil.copy(STATIC / "wrong_tools.py", root / "tests" / "test_tools.py")
    return root


def collect(root: Path, **kw: object) -> tuple[Inventory, object]:
    options = kw.pop("options", {})
    inv = Inventory(Settings(target=root, options=options, **kw))  # type: ignore[arg-type]
    run = PostureCollector().collect(inv)
    return inv, run


def test_posture_section(tmp_path: Path) -> None:
    inv, run = collect(target(tmp_path))
    assert run.status == "ok"  # type: ignore[attr-defined]
    posture = inv.mcp["posture"]
    assert set(posture) == {"static", "config", "probe"}
    assert posture["probe"] is None
    rules = {(f["file"], f["rule"]) for f in posture["static"]}
    assert ("src/app.py", "token_passthrough") in rules
    assert ("src/transport.ts", "session_id_insecure") in rules
    assert not any(f["file"].startswith("tests/") for f in posture["static"]), "test folders are out of scope"
    assert {f["rule"] for f in posture["config"]} >= {"config_unpinned_package", "config_inline_secret"}
    for f in posture["static"] + posture["config"]:
        assert set(f) >= {"rule", "title", "severity", "file", "line", "snippet", "message", "explanation"}
    assert run.stats["config_files"] == 1  # type: ignore[attr-defined]


def test_posture_section_matches_its_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jsonschema

    from gate.evidence.posture.findings import POSTURE_SCHEMA

    root = target(tmp_path)
    inv, _ = collect(root)
    jsonschema.validate(inv.mcp["posture"], POSTURE_SCHEMA)
    monkeypatch.setenv("GATE_TEST_FLAWS", "passthrough")
    launch = f"{sys.executable} {HERE / 'servers' / 'sdk_server.py'}"
    inv, _ = collect(root, options={"probe": True, "launch": launch})
    jsonschema.validate(inv.mcp["posture"], POSTURE_SCHEMA)


def test_include_tests_scans_test_folders(tmp_path: Path) -> None:
    inv, _ = collect(target(tmp_path), include_tests=True)
    assert any(f["file"] == "tests/test_tools.py" for f in inv.mcp["posture"]["static"])


def test_deterministic(tmp_path: Path) -> None:
    root = target(tmp_path)
    a, _ = collect(root)
    b, _ = collect(root)
    assert json.dumps(a.mcp, sort_keys=True) == json.dumps(b.mcp, sort_keys=True)
    assert str(tmp_path) not in json.dumps(a.mcp)


def test_excludes_are_honoured(tmp_path: Path) -> None:
    inv, _ = collect(target(tmp_path), excludes=("src/*",))
    assert inv.mcp["posture"]["static"] == []


def test_malformed_configuration_stops_the_run(tmp_path: Path) -> None:
    root = target(tmp_path)
    (root / ".mcp.json").write_text('{"mcpServers": {')
    with pytest.raises(InputError) as err:
        collect(root)
    assert err.value.diagnostics().startswith(".mcp.json: invalid JSON")


def test_probe_needs_a_url_or_launch(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        collect(target(tmp_path), options={"probe": True})


def test_probe_of_a_launched_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_TEST_FLAWS", "no_origin")
    launch = f"{sys.executable} {HERE / 'servers' / 'sdk_server.py'}"
    inv, run = collect(target(tmp_path), options={"probe": True, "launch": launch})
    assert run.status == "ok"  # type: ignore[attr-defined]
    probe = {r["check"]: r for r in inv.mcp["posture"]["probe"]}
    assert probe["origin"]["status"] == "fail"
    assert probe["origin"]["rule"] == "probe_origin"
    assert probe["token_audience"]["status"] == "pass"


def test_probe_of_a_dead_server_is_incomplete(tmp_path: Path) -> None:
    inv, run = collect(target(tmp_path), options={"probe": True, "url": "http://127.0.0.1:1/mcp"})
    assert run.status == "incomplete"  # type: ignore[attr-defined]
    assert "connection refused" in run.errors[0].message  # type: ignore[attr-defined]
    assert all(r["status"] == "error" for r in inv.mcp["posture"]["probe"])
