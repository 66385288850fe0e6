"""The OSV API source (against a loopback OSV server), pip-audit's fix suggestions, VEX and exceptions,
and the CycloneDX vulnerabilities section."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from osv_fake_server import FakeOsv
from vulns_helpers import component, inventory

from gate.config import GateConfig, RuleException
from gate.errors import InputError
from gate.evidence.vulns import VulnCollector
from gate.evidence.vulns.api import ApiSource
from gate.evidence.vulns.db import Database
from gate.evidence.vulns.suppress import load_vex
from gate.sbom.vulnerabilities import add_vulnerabilities

CURATED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "osv" / "curated"


@pytest.fixture(scope="module")
def curated() -> Database:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    return Database.open(CURATED)


@pytest.fixture
def fake(curated: Database) -> Any:
    records = {}
    for recs in curated.index.values():
        for r in recs:
            records[r["id"]] = r
    with FakeOsv(records.values()) as server:
        yield server


COMPONENTS = [
    ("PyPI", "requests", "2.19.0"),
    ("PyPI", "Jinja2", "2.10"),
    ("npm", "mcp-remote", "0.1.15"),
    ("npm", "@modelcontextprotocol/sdk", "1.25.2"),
    ("PyPI", "redis", "4.5.4"),
]


def _ids(inv: Any, ref: str) -> list[list[str]]:
    return sorted(f["ids"] for f in inv.annotations[ref]["vulnerabilities"])


def test_api_source_matches_the_offline_database(tmp_path: Path, fake: Any, curated: Database) -> None:
    comps = [component(*c) for c in COMPONENTS]
    api = ApiSource(fake.url, cache_dir=tmp_path / "cache", timeout=5)
    inv_api = inventory(tmp_path, comps)
    run = VulnCollector(source=api).collect(inv_api)
    assert run.status == "ok", run
    inv_db = inventory(tmp_path, comps)
    VulnCollector(source=curated).collect(inv_db)
    for c in comps:
        assert _ids(inv_api, c.ref) == _ids(inv_db, c.ref), c.ref
    assert inv_api.sections["vulnerabilities"]["database"]["kind"] == "osv-api"
    # Batch requests only (one per ecosystem, plus the fix resolution's checks of candidate versions), one GET
    # per record; a second run is served from the record cache.
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert set(posts) == {("POST", "/v1/querybatch")} and len(posts) <= 2 + len(COMPONENTS)
    gets = len([r for r in fake.requests if r[0] == "GET"])
    assert gets > 0
    api2 = ApiSource(fake.url, cache_dir=tmp_path / "cache", timeout=5)
    VulnCollector(source=api2).collect(inventory(tmp_path, comps))
    assert len([r for r in fake.requests if r[0] == "GET"]) == gets
    assert api2.cache_hits == gets


def test_api_retries_transient_errors(tmp_path: Path, fake: Any) -> None:
    fake.fail_next = 2
    api = ApiSource(fake.url, cache_dir=None, timeout=5, retries=3)
    c = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [c])
    assert VulnCollector(source=api).collect(inv).status == "ok"
    assert len(inv.annotations[c.ref]["vulnerabilities"]) == 2


def test_api_unreachable_is_incomplete_never_clean(tmp_path: Path, fake: Any) -> None:
    fake.fail_next = 100
    api = ApiSource(fake.url, cache_dir=None, timeout=5, retries=2)
    c = component("PyPI", "requests", "2.31.0")
    inv = inventory(tmp_path, [c])
    run = VulnCollector(source=api).collect(inv)
    assert run.status == "incomplete" and "OSV API" in (run.reason or "")
    assert "vulnerabilities" not in inv.annotations[c.ref]
    assert inv.sections["vulnerabilities"]["unchecked"][0]["reason_code"] == "no-data"
    assert inv.sections["vulnerabilities"]["database"]["status"] == "unreachable"
    # Nothing listens here at all: same outcome.
    dead = ApiSource("http://127.0.0.1:9", cache_dir=None, timeout=1, retries=1)
    inv = inventory(tmp_path, [c])
    assert VulnCollector(source=dead).collect(inv).status == "incomplete"


@pytest.mark.parametrize(
    "reply",
    [
        {"results": []},  # fewer results than queries
        {"nope": 1},
        [1, 2, 3],
        {"results": [{"vulns": [{"id": "PYSEC-0000-DOES-NOT-EXIST"}]}]},  # an id the server cannot serve
        {"results": [{"vulns": [{"id": "PYSEC-2018-28"}], "next_page_token": "abc"}]},  # truncated answer
    ],
)
def test_api_malformed_replies_are_unchecked(tmp_path: Path, fake: Any, reply: Any) -> None:
    fake.reply_override = reply
    api = ApiSource(fake.url, cache_dir=None, timeout=5, retries=1)
    c = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [c])
    run = VulnCollector(source=api).collect(inv)
    assert run.status == "incomplete"
    assert "vulnerabilities" not in inv.annotations[c.ref]
    assert inv.sections["vulnerabilities"]["unchecked"][0]["reason_code"] == "no-data"


def test_auto_source_uses_the_api_only_with_network(
    tmp_path: Path, fake: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GATE_VULN_DB", raising=False)
    c = component("PyPI", "requests", "2.19.0")
    offline = inventory(tmp_path, [c], osv_api_url=fake.url)
    assert VulnCollector().collect(offline).status == "failed"
    assert fake.requests == []
    online = inventory(tmp_path, [c], network=True, osv_api_url=fake.url)
    assert VulnCollector().collect(online).status == "ok"
    assert len(online.annotations[c.ref]["vulnerabilities"]) == 2
    asked = inventory(tmp_path, [c], vuln_source="osv-api", osv_api_url=fake.url)
    assert VulnCollector().collect(asked).status == "ok"


def test_pip_audit_fix_suggestions(tmp_path: Path, curated: Database) -> None:
    comps = [component("PyPI", "urllib3", "1.24.1"), component("PyPI", "py", "1.11.0")]
    inv = inventory(tmp_path, comps)
    VulnCollector(source=curated).collect(inv)
    urllib3 = inv.annotations[comps[0].ref]["vulnerabilities"]
    # pip-audit resolves the earliest version that fixes every known vulnerability of the package.
    assert {f["fix_suggestion"]["upgrade_to"] for f in urllib3} == {"1.26.18"}
    assert all(f["fix_suggestion"]["tool"] == "pip-audit" for f in urllib3)
    (py,) = inv.annotations[comps[1].ref]["vulnerabilities"]
    assert "skip_reason" in py["fix_suggestion"] and py["fix_available"] is False


def _cdx_vex(tmp_path: Path, vid: str, ref: str, state: str = "not_affected") -> Path:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "vulnerabilities": [
            {
                "id": vid,
                "analysis": {"state": state, "justification": "code_not_reachable", "detail": "unused API"},
                "affects": [{"ref": ref}],
            }
        ],
    }
    p = tmp_path / f"vex-{vid}.cdx.json"
    p.write_text(json.dumps(doc))
    return p


def _openvex(tmp_path: Path, vid: str, product: str) -> Path:
    doc = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "sec",
        "timestamp": "2025-01-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": vid},
                "products": [{"@id": product}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            }
        ],
    }
    p = tmp_path / "vex.openvex.json"
    p.write_text(json.dumps(doc))
    return p


def test_vex_suppresses_by_alias_cyclonedx_and_openvex(tmp_path: Path, curated: Database) -> None:
    req = component("PyPI", "requests", "2.19.0")
    jinja = component("PyPI", "Jinja2", "2.10")
    # CycloneDX names the CVE alias of PYSEC-2018-28; OpenVEX names the GHSA alias of PYSEC-2021-66 for any version.
    vex1 = _cdx_vex(tmp_path, "CVE-2018-18074", req.ref)
    vex2 = _openvex(tmp_path, "GHSA-g3rq-g295-4j3m", "pkg:pypi/jinja2")
    inv = inventory(tmp_path, [req, jinja], vex=(str(vex1), str(vex2)))
    VulnCollector(source=curated).collect(inv)
    section = inv.sections["vulnerabilities"]
    assert sorted((s["component"], s["id"], s["by"]) for s in section["suppressed"]) == [
        (jinja.ref, "PYSEC-2021-66", "vex"),
        (req.ref, "PYSEC-2018-28", "vex"),
    ]
    sup = {f["id"]: f["suppressed"] for f in inv.annotations[req.ref]["vulnerabilities"]}
    assert sup["PYSEC-2018-28"]["justification"] == "code_not_reachable"
    assert sup["PYSEC-2023-74"] is None
    assert section["summary"]["suppressed"] == 2 and section["summary"]["findings"] == 2


def test_vex_that_says_affected_does_not_suppress(tmp_path: Path, curated: Database) -> None:
    req = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [req], vex=(str(_cdx_vex(tmp_path, "PYSEC-2018-28", req.ref, "exploitable")),))
    VulnCollector(source=curated).collect(inv)
    assert inv.sections["vulnerabilities"]["suppressed"] == []


def test_bad_vex_is_an_input_error(tmp_path: Path) -> None:
    p = tmp_path / "vex.json"
    p.write_text('{"hello": 1}')
    with pytest.raises(InputError) as err:
        load_vex(p)
    assert err.value.diagnostics().startswith(str(p)) and "VEX" in err.value.diagnostics()
    p.write_text("{" * 5000)
    with pytest.raises(InputError):
        load_vex(p)


def test_exceptions_by_alias_with_expiry(tmp_path: Path, curated: Database) -> None:
    req = component("PyPI", "requests", "2.19.0")
    today = dt.date(2026, 1, 1)  # SOURCE_DATE_EPOCH of the test suite
    config = GateConfig(
        exceptions=(
            RuleException(
                rule="vulns.*",
                match="pkg:pypi/requests*",
                reason="not reachable",
                expires=today,
                vulnerability="GHSA-x84v-xcm2-53pg",
                source="gate.toml",
            ),
            RuleException(
                rule="vulns.*",
                match="*",
                reason="old waiver",
                expires=today - dt.timedelta(days=1),
                vulnerability="CVE-2023-32681",
                source="gate.toml",
            ),
        )
    )
    inv = inventory(tmp_path, [req], config=config)
    VulnCollector(source=curated).collect(inv)
    section = inv.sections["vulnerabilities"]
    assert section["suppressed"] == []  # exceptions waive results in the policy engine, they do not hide data
    (w,) = section["exceptions"]
    assert (w["id"], w["expires"], w["vulnerability"]) == (
        "PYSEC-2018-28",
        "2026-01-01",
        "GHSA-x84v-xcm2-53pg",
    )
    (gone,) = section["expired_exceptions"]
    assert gone["vulnerability"] == "CVE-2023-32681"
    by_id = {f["id"]: f for f in inv.annotations[req.ref]["vulnerabilities"]}
    assert by_id["PYSEC-2018-28"]["exception"]["reason"] == "not reachable"
    assert by_id["PYSEC-2023-74"]["exception"] is None
    # What the policy engine needs to apply exceptions to results: every id and alias on the finding.
    assert "CVE-2023-32681" in by_id["PYSEC-2023-74"]["ids"]


def test_exception_waives_the_rule_result_in_gate_check(tmp_path: Path) -> None:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    from click.testing import CliRunner

    from gate.cli import cli

    (tmp_path / "requirements.txt").write_text("requests==2.19.0\n")
    (tmp_path / "gate.toml").write_text(
        '[[exceptions]]\nrule = "vulns.*"\nmatch = "pkg:pypi/requests*"\nvulnerability = "CVE-2018-18074"\n'
        'reason = "redirects never leave our host"\nexpires = 2026-06-30\n'
    )
    out = tmp_path / "report.json"
    res = CliRunner().invoke(
        cli,
        [
            "check",
            str(tmp_path),
            "--vuln-db",
            str(CURATED),
            "--vuln-db-max-age",
            "1000000",
            "--format",
            "json",
            "-o",
            str(out),
            "-q",
        ],
    )
    assert res.exit_code in (0, 1), res.output
    report = json.loads(out.read_text())
    text = json.dumps(report)
    if "PYSEC-2018-28" not in text:
        pytest.skip("the Python inventory did not report requirements.txt pins")
    results = [r for r in report.get("results", []) if str(r.get("code", "")).startswith("vulns.")]
    waived = [r for r in results if r.get("evidence", {}).get("vulnerability") == "PYSEC-2018-28"]
    assert waived and all(r.get("kind") != "deny" for r in waived), waived
    assert any(r.get("kind") == "deny" and r["evidence"]["vulnerability"] == "PYSEC-2023-74" for r in results)


def test_sbom_vulnerabilities_validate_strictly(tmp_path: Path, curated: Database) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    req = component("PyPI", "requests", "2.19.0")
    mcp = component("npm", "mcp-remote", "0.1.15")
    inv = inventory(tmp_path, [req, mcp], vex=(str(_cdx_vex(tmp_path, "CVE-2018-18074", req.ref)),))
    VulnCollector(source=curated).collect(inv)
    assert len(inv.sbom_extensions) == 1
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": [
            {"type": "library", "bom-ref": c.ref, "name": c.name, "version": c.version, "purl": c.purl}
            for c in (req, mcp)
        ],
    }
    add_vulnerabilities(doc, inv)
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    assert errors is None, errors
    by_id = {v["id"]: v for v in doc["vulnerabilities"]}
    ghsa = by_id["GHSA-6xpm-ggf7-wc3p"]
    assert ghsa["ratings"][0] == {
        "source": {"name": "GitHub", "url": "https://github.com/advisories/GHSA-6xpm-ggf7-wc3p"},
        "score": 9.6,
        "severity": "critical",
        "method": "CVSSv31",
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
    }
    assert ghsa["affects"] == [{"ref": mcp.ref, "versions": [{"version": "0.1.15", "status": "affected"}]}]
    assert by_id["PYSEC-2018-28"]["analysis"]["state"] == "not_affected"
    assert by_id["PYSEC-2018-28"]["analysis"]["justification"] == "code_not_reachable"
    assert "analysis" not in by_id["PYSEC-2023-74"]
    assert {r["id"] for r in by_id["PYSEC-2023-74"]["references"]} == {
        "CVE-2023-32681",
        "GHSA-j8r2-6x86-q33q",
    }


def test_section_is_deterministic(tmp_path: Path, curated: Database) -> None:
    comps = [component(*c) for c in COMPONENTS]
    outs = []
    for order in (comps, list(reversed(comps))):
        inv = inventory(tmp_path, order)
        VulnCollector(source=curated).collect(inv)
        outs.append(json.dumps([inv.sections, sorted(inv.annotations.items())], sort_keys=True))
    assert outs[0] == outs[1]


def test_non_normalised_versions_reach_pip_audit_and_back(tmp_path: Path, curated: Database) -> None:
    # pip-audit carries packaging Versions ("2.10.0" == "2.10", "1.24.01" -> "1.24.1"): nothing gets lost.
    comps = [component("PyPI", "Jinja2", "2.10.0"), component("PyPI", "urllib3", "1.24.01")]
    inv = inventory(tmp_path, comps)
    assert VulnCollector(source=curated).collect(inv).status == "ok"
    assert len(inv.annotations[comps[0].ref]["vulnerabilities"]) == 2
    assert len(inv.annotations[comps[1].ref]["vulnerabilities"]) == 7
    assert all(f["fix_suggestion"]["upgrade_to"] for f in inv.annotations[comps[1].ref]["vulnerabilities"])


def test_npm_fix_suggestion(tmp_path: Path, curated: Database) -> None:
    comps = [
        component("npm", "@modelcontextprotocol/sdk", "1.23.0"),
        component("npm", "mcp-remote", "0.1.15"),
    ]
    inv = inventory(tmp_path, comps)
    VulnCollector(source=curated).collect(inv)
    sdk = {f["id"]: f for f in inv.annotations[comps[0].ref]["vulnerabilities"]}
    # One advisory has no fix at all: no upgrade can be suggested.
    assert all("no fixed version" in f["fix_suggestion"]["skip_reason"] for f in sdk.values())
    (remote,) = inv.annotations[comps[1].ref]["vulnerabilities"]
    assert remote["fix_suggestion"] == {"tool": "gate", "upgrade_to": "0.1.16", "resolves": 1}


def test_api_fix_resolution_is_batched(tmp_path: Path, fake: Any) -> None:
    comps = [
        component("PyPI", n, v)
        for n, v in (("requests", "2.19.0"), ("urllib3", "1.24.1"), ("Jinja2", "2.10"), ("PyYAML", "5.3"))
    ]
    api = ApiSource(fake.url, cache_dir=None, timeout=5)
    inv = inventory(tmp_path, comps)
    assert VulnCollector(source=api).collect(inv).status == "ok"
    for c in comps:
        assert all(f["fix_suggestion"].get("upgrade_to") for f in inv.annotations[c.ref]["vulnerabilities"])
    # The inventory in one batch, every first fix candidate in a second; not one request per package.
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert len(posts) == 2, posts
