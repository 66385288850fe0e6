"""The composite Action, run end to end by the local harness: install from the hash-pinned requirements
into a private virtual environment, gate the bundled examples, check outputs, summary, annotations and
exit codes, and show that hostile inputs reach the gate as literal strings."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.action.harness import ActionRun, run_action
from tests.conftest import REPO


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A workspace holding copies of the examples, and one private venv shared by the module's runs
    (the Action reuses an installed venv whose requirements did not change)."""
    if os.environ.get("GATE_SKIP_ACTION_TESTS") == "1":
        pytest.skip("GATE_SKIP_ACTION_TESTS=1")
    base = tmp_path_factory.mktemp("action")
    workspace = base / "workspace"
    shutil.copytree(REPO / "examples", workspace / "examples")
    return {"workspace": workspace, "temp": base / "runner-temp", "venv": base / "gate-venv"}


def _run(runner: dict[str, Path], inputs: dict[str, str]) -> ActionRun:
    runner["temp"].mkdir(exist_ok=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return run_action(
        REPO,
        runner["workspace"],
        runner["temp"],
        inputs,
        extra_env={
            "PATH": path,
            "GATE_VENV": str(runner["venv"]),
            "SOURCE_DATE_EPOCH": "1767225600",
            "GATE_CACHE_DIR": str(runner["temp"] / "cache"),
        },
    )


def test_blocked_example_fails_the_step_with_annotations(runner: dict[str, Path]) -> None:
    run = _run(runner, {"path": "examples/blocked-server", "output-dir": "out-blocked"})
    assert run.exit_code == 1, run.stderr[-3000:]
    assert run.outputs["decision"] == "block"
    assert run.outputs["exit-code"] == "1"
    assert "## gate: BLOCKED" in run.summary
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert any("file=examples/blocked-server/requirements.txt,line=" in e for e in errors), run.stdout
    report = json.loads((runner["workspace"] / run.outputs["report"]).read_text())
    assert report["decision"] == "block"
    sarif = json.loads((runner["workspace"] / run.outputs["sarif"]).read_text())
    assert sarif["runs"][0]["results"]
    assert (runner["workspace"] / run.outputs["sbom"]).is_file()


def test_fail_level_never_reports_without_failing(runner: dict[str, Path]) -> None:
    run = _run(runner, {"path": "examples/blocked-server", "fail-level": "never", "output-dir": "out-never"})
    assert run.exit_code == 0
    assert run.outputs["decision"] == "block" and run.outputs["exit-code"] == "1"


def test_hostile_inputs_reach_the_gate_as_literal_strings(runner: dict[str, Path]) -> None:
    ws = runner["workspace"]
    hostile = "examples/x $(touch pwned1) `touch pwned2` \"quoted\" 'single'\nsecond line; touch pwned3"
    run = _run(
        runner,
        {
            "path": hostile,
            "output-dir": "out-hostile",
            "args": "--exclude '$(touch pwned4)' --exclude \"`touch pwned5`\"",
        },
    )
    assert run.exit_code == 2
    assert run.outputs["decision"] == "error"
    assert "$(touch pwned1)" in run.stderr and "`touch pwned2`" in run.stderr  # the gate saw the literal path
    for n in range(1, 6):
        assert not (ws / f"pwned{n}").exists()
        assert not (REPO / f"pwned{n}").exists()


def test_injection_in_policy_input_lines(runner: dict[str, Path]) -> None:
    ws = runner["workspace"]
    run = _run(
        runner,
        {
            "path": "examples/notes-server",
            "output-dir": "out-policy",
            "policy": "$(touch pwned6)\n; touch pwned7",
        },
    )
    assert run.exit_code == 2  # a policy path that does not exist is a usage error, taken literally
    assert "$(touch pwned6)" in run.stderr
    assert not (ws / "pwned6").exists() and not (ws / "pwned7").exists()


def test_passing_example_succeeds_with_outputs_and_summary(
    runner: dict[str, Path], shared_fixtures: Path
) -> None:
    # A real OSV snapshot (PyPA advisory database, 2024-10-10) as the offline database; its age is accepted
    # explicitly, as an air-gapped mirror's would be.
    (runner["workspace"] / "snapshot-age.json").write_text('{"vulns": {"max_db_age_days": 100000}}')
    run = _run(
        runner,
        {
            "path": "examples/notes-server",
            "output-dir": "out-pass",
            "vuln-db": str(shared_fixtures / "osv/pypa-advisory-db-2024-10-10.zip"),
            "data": "snapshot-age.json",
            "args": "--vuln-db-max-age 100000",
        },
    )
    assert run.exit_code == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.outputs["decision"] == "pass"
    assert run.outputs["exit-code"] == "0"
    assert "## gate: PASSED" in run.summary
    assert not [line for line in run.stdout.splitlines() if line.startswith("::error")]
    report = json.loads((runner["workspace"] / run.outputs["report"]).read_text())
    assert report["summary"]["deny"] == 0
    bom = json.loads((runner["workspace"] / run.outputs["sbom"]).read_text())
    assert bom["metadata"]["component"]["name"] == "notes-mcp-server"
