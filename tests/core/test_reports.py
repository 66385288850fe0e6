from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from gate.document import build_document
from gate.model import Location
from gate.pipeline import Outcome
from gate.policy.result import AppliedException, Evaluation, Result, RuleInfo
from gate.report import render
from gate.sbom import build_sbom
from tests.conftest import ASSETS, REPO
from tests.core.helpers import sample_inventory


@pytest.fixture
def outcome(tmp_path: Path) -> Outcome:
    inv = sample_inventory(tmp_path)
    return Outcome(inventory=inv, document=build_document(inv), sbom=build_sbom(inv))


def _evaluation() -> Evaluation:
    rules = (
        RuleInfo(code="deps.unpinned", title="Dependency not pinned", severity="high", solution="Pin it."),
        RuleInfo(code="deps.missing_hash", title="Lockfile entry without hash", severity="low", kind="warn"),
        RuleInfo(code="core.collector_failed", title="Collector failed", severity="critical"),
    )
    results = (
        Result(
            code="deps.unpinned",
            kind="deny",
            severity="high",
            msg='anyio is not pinned | "quoted" <b>',
            component="pkg:pypi/anyio@4.11.0",
            component_name="anyio",
            location=Location("uv.lock", 10),
            evidence={"version": None},
            source="python",
            solution="Pin it.",
        ),
        Result(
            code="deps.missing_hash",
            kind="warn",
            severity="low",
            msg="mcp has no hash",
            component="pkg:pypi/mcp@1.23.3",
            component_name="mcp",
            location=Location("uv.lock", 120),
        ),
        Result(
            code="deps.missing_hash",
            kind="success",
            original_kind="warn",
            severity="low",
            msg="waived",
            component="pkg:pypi/anyio@4.11.0",
            component_name="anyio",
            exception=AppliedException(
                rule="deps.missing_hash",
                match="pkg:pypi/anyio*",
                reason="vendored",
                expires="2027-01-01",
                source="gate.toml",
            ),
        ),
        Result(
            code="core.collector_failed", kind="success", severity="critical", msg="all collectors completed"
        ),
    )
    return Evaluation(results=results, rules=rules, engine="regopy", policy_digest="sha256:00")


def test_json_report_follows_its_schema(outcome: Outcome) -> None:
    report = json.loads(render("json", outcome, _evaluation()))
    schema = json.loads((REPO / "gate/schema/report-v1.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert report["decision"] == "block" and report["exit_code"] == 1
    assert report["summary"] == {"deny": 1, "warn": 1, "success": 1, "excepted": 1, "expired_exceptions": 0}
    assert report["results"][0]["code"] == "deps.unpinned"
    assert report["exceptions"]["applied"][0]["reason"] == "vendored"


def test_sarif_has_rule_ids_levels_and_lockfile_lines(outcome: Outcome) -> None:
    sarif = json.loads(render("sarif", outcome, _evaluation()))
    schema = json.loads((ASSETS / "sarif-2.1.0-emitted.schema.json").read_text())
    jsonschema.validate(sarif, schema, format_checker=jsonschema.FormatChecker())
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["deps.missing_hash", "deps.unpinned"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"deps.unpinned", "deps.missing_hash"}  # successes are not SARIF results
    assert by_rule["deps.unpinned"]["level"] == "error"
    assert by_rule["deps.missing_hash"]["level"] == "warning"
    loc = by_rule["deps.unpinned"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "uv.lock" and loc["region"]["startLine"] == 10
    assert run["tool"]["driver"]["rules"][by_rule["deps.unpinned"]["ruleIndex"]]["id"] == "deps.unpinned"


def test_markdown_escapes_table_cells_and_lists_exceptions(outcome: Outcome) -> None:
    md = render("markdown", outcome, _evaluation())
    assert md.startswith("## gate: BLOCKED — notes-mcp-server 0.3.1")
    row = next(line for line in md.splitlines() if "deps.unpinned" in line)
    assert "\\|" in row and "&lt;b>" in row and "`uv.lock:10`" in row
    assert "waived for anyio until 2027-01-01: vendored" in md


def test_junit_counts_failures_per_rule(outcome: Outcome) -> None:
    root = ET.fromstring(render("junit", outcome, _evaluation()).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("tests") == "3"
    failing = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failing == ["deps.unpinned"]


def test_table_names_rule_component_and_place(outcome: Outcome) -> None:
    text = render("table", outcome, _evaluation())
    assert "deps.unpinned" in text and "anyio" in text and "uv.lock:10" in text
    assert "BLOCKED notes-mcp-server: 1 blocking, 1 warnings" in text


def test_pass_when_nothing_denies(outcome: Outcome) -> None:
    ev = Evaluation(results=(Result(code="x.y", kind="success", msg="ok"),))
    assert ev.decision == "pass" and ev.exit_code == 0
    assert json.loads(render("sarif", outcome, ev))["runs"][0]["results"] == []
