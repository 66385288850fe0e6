"""Every curated case gives exactly the expected records, alias groups and fixed versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vulns_helpers import component, inventory

from gate.evidence.vulns import VulnCollector
from gate.evidence.vulns.db import Database

CURATED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "osv" / "curated"


def _cases() -> list[dict]:
    path = CURATED / "expected_findings.json"
    if not path.is_file():
        return []
    return json.loads(path.read_text())["cases"]


@pytest.fixture(scope="module")
def curated_db() -> Database:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    return Database.open(CURATED)


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['ecosystem']}:{c['name']}@{c['version']}")
def test_curated_case(case: dict, curated_db: Database, tmp_path: Path) -> None:
    c = component(case["ecosystem"], case["name"], case["version"])
    inv = inventory(tmp_path, [c])
    run = VulnCollector(source=curated_db).collect(inv)
    assert run.status == "ok", run
    findings = inv.annotations[c.ref]["vulnerabilities"]
    # Records matched: every expected record, nothing else.
    got_records = sorted(r for f in findings for r in f["records"])
    assert got_records == sorted(e["id"] for e in case["expected"])
    # One finding per alias group, carrying every id of the group.
    assert sorted(f["ids"] for f in findings) == sorted(sorted(g) for g in case["expected_groups"])
    # Fixed versions: the union of the group's records' fixes above the installed version.
    for f in findings:
        expected_fixed = set()
        for e in case["expected"]:
            if e["id"] in f["records"]:
                expected_fixed.update(e["fixed"])
        assert set(f["fixed_versions"]) == expected_fixed, f["id"]
        assert f["fix_available"] == bool(expected_fixed)
    assert inv.annotations[c.ref]["vulnerabilities_checked"] is True


def test_curated_all_in_one_inventory(curated_db: Database, tmp_path: Path) -> None:
    """The same cases as one inventory (one batch): the same answers, deterministic order."""
    cases = _cases()
    comps = {}
    for case in cases:
        c = component(case["ecosystem"], case["name"], case["version"])
        comps[c.ref] = (c, case)
    inv = inventory(tmp_path, [c for c, _ in comps.values()])
    run = VulnCollector(source=curated_db).collect(inv)
    assert run.status == "ok"
    for ref, (_, case) in comps.items():
        got = sorted(r for f in inv.annotations[ref]["vulnerabilities"] for r in f["records"])
        assert got == sorted(e["id"] for e in case["expected"]), ref
    section = inv.sections["vulnerabilities"]
    assert section["checked"] == len(comps)
    assert section["unchecked"] == []
    assert section["summary"]["findings"] == sum(len(c["expected_groups"]) for _, c in comps.values())
