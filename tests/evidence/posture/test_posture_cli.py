"""``gate probe`` and ``gate check --probe`` as a user runs them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import cli

SERVERS = Path(__file__).parent / "servers"
SDK = f"{sys.executable} {SERVERS / 'sdk_server.py'}"


@pytest.mark.parametrize(("flaws", "code"), [("", 0), ("passthrough", 1)])
def test_gate_probe_exit_codes(monkeypatch: pytest.MonkeyPatch, flaws: str, code: int) -> None:
    monkeypatch.setenv("GATE_TEST_FLAWS", flaws)
    result = CliRunner().invoke(cli, ["probe", "--launch", SDK, "--format", "json"])
    assert result.exit_code == code, result.output
    doc = json.loads(result.stdout)
    failing = {r["check"] for r in doc["results"] if r["status"] == "fail"}
    assert failing == ({"token_passthrough"} if flaws else set())


def test_gate_probe_refuses_remote_addresses() -> None:
    result = CliRunner().invoke(cli, ["probe", "http://192.0.2.10/mcp"])
    assert result.exit_code == 2
    assert "loopback" in result.output


def test_gate_probe_table_output_of_a_dead_server() -> None:
    result = CliRunner().invoke(cli, ["probe", "http://127.0.0.1:1/mcp"])
    assert result.exit_code == 2
    assert "ERROR" in result.stdout and "connection refused" in result.stdout


def test_gate_check_with_probe_blocks_on_a_failed_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE_TEST_FLAWS", "no_audience")
    (tmp_path / "server.py").write_text("print('hello')\n")
    evidence = tmp_path / "evidence.json"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(tmp_path),
            "--probe",
            "--launch",
            SDK,
            "--format",
            "json",
            "--evidence-output",
            str(evidence),
        ],
    )
    doc = json.loads(evidence.read_text())
    probe = {r["check"]: r["status"] for r in doc["mcp"]["posture"]["probe"]}
    assert probe["token_audience"] == "fail"
    assert result.exit_code == 1
    assert "posture.probe_token_audience" in result.stdout
