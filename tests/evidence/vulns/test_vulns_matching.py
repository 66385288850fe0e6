"""OSV range semantics, SemVer 2 precedence, PEP 440, severity and alias grouping."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from gate.evidence.vulns.db import iter_zip_records
from gate.evidence.vulns.osv import affected_version_keys, group_matches, match, record_severity, version_key
from gate.evidence.vulns.versions import SemVer, UnparseableVersion, normalize_name, osv_ecosystem, parse

PYPA_ZIP = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "fixtures"
    / "osv"
    / "pypa-advisory-db-2024-10-10.zip"
)


def rec(
    events: list[dict[str, str]],
    eco: str = "PyPI",
    name: str = "pkg",
    rtype: str = "ECOSYSTEM",
    versions: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    aff: dict[str, Any] = {
        "package": {"ecosystem": eco, "name": name},
        "ranges": [{"type": rtype, "events": events}],
    }
    if versions is not None:
        aff["versions"] = versions
    return {"id": extra.pop("id", "TEST-1"), "affected": [aff], **extra}


def hit(record: dict[str, Any], version: str, eco: str = "PyPI", name: str = "pkg") -> bool:
    return match(record, eco, normalize_name(eco, name), version, parse(eco, version)) is not None


# -- SemVer 2 precedence (the spec's own example chain, plus numeric vs lexical) ---------------------------
SEMVER_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
]


def test_semver_precedence_chain() -> None:
    parsed = [SemVer(v) for v in SEMVER_CHAIN]
    assert parsed == sorted(parsed)
    for a, b in itertools.pairwise(parsed):
        assert a < b and b > a and a != b


def test_semver_build_metadata_ignored_and_invalid_rejected() -> None:
    assert SemVer("1.2.3+build.5") == SemVer("1.2.3")
    assert SemVer("v1.2.3") == SemVer("1.2.3")
    for bad in ("1.2", "01.2.3", "1.2.3-", "1.2.3-01", "latest", "1.2.3.4", ""):
        with pytest.raises(UnparseableVersion):
            SemVer(bad)


def test_pep440_and_unknown_ecosystems() -> None:
    assert parse("PyPI", "2.10") == parse("PyPI", "2.10.0")
    with pytest.raises(UnparseableVersion):
        parse("PyPI", "2019-09-12x")
    with pytest.raises(UnparseableVersion):
        parse("Go", "v1.0.0")
    assert osv_ecosystem("pypi") == "PyPI"
    assert osv_ecosystem(None, "pkg:npm/%40scope/x@1.0.0") == "npm"
    assert osv_ecosystem("huggingface", "pkg:huggingface/org/model@abc") is None
    assert normalize_name("PyPI", "Jinja2") == normalize_name("PyPI", "jinja2") == "jinja2"
    assert normalize_name("PyPI", "mcp_server.git") == "mcp-server-git"


# -- ranges ------------------------------------------------------------------------------------------------
def test_introduced_fixed_multiple_ranges() -> None:
    r = rec([{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"fixed": "2.3"}])
    assert [hit(r, v) for v in ("0.9", "1.0", "1.4.9", "1.5", "1.9", "2.0", "2.2", "2.3")] == [
        False,
        True,
        True,
        False,
        False,
        True,
        True,
        False,
    ]


def test_unsorted_events_are_sorted() -> None:
    r = rec([{"fixed": "2.3"}, {"introduced": "2.0"}, {"fixed": "1.5"}, {"introduced": "1.0"}])
    assert hit(r, "1.2") and hit(r, "2.1") and not hit(r, "1.7")


def test_last_affected_and_open_ranges() -> None:
    r = rec([{"introduced": "0"}, {"last_affected": "1.11.0"}])
    assert hit(r, "1.11.0") and hit(r, "0.1") and not hit(r, "1.11.1")
    m = match(r, "PyPI", "pkg", "1.0", parse("PyPI", "1.0"))
    assert m is not None and m.fixed == ()
    assert hit(rec([{"introduced": "3.0"}]), "99.0")


def test_limit() -> None:
    r = rec([{"introduced": "1.0"}, {"limit": "2.0"}])
    assert hit(r, "1.5") and not hit(r, "2.0") and not hit(r, "2.5")


def test_prereleases_pep440_and_semver() -> None:
    r = rec([{"introduced": "3.2"}, {"fixed": "3.2.19"}])
    assert not hit(r, "3.2a1")  # a pre-release of 3.2 comes before it
    assert hit(r, "3.2.19rc1")  # ... and a pre-release of the fix is still affected
    n = rec([{"introduced": "0.0.5"}, {"fixed": "0.1.16"}], eco="npm", name="mcp-remote")
    assert not hit(n, "0.0.5-0", "npm", "mcp-remote")
    assert hit(n, "0.1.16-beta.1", "npm", "mcp-remote")
    assert not hit(n, "0.1.16", "npm", "mcp-remote")


def test_explicit_versions_list_matches_outside_ranges() -> None:
    r = rec([{"introduced": "3.2"}, {"fixed": "3.2.19"}], versions=["3.2a1"])
    assert hit(r, "3.2a1") and hit(r, "3.2.0a1")  # PEP 440 equality, not string equality


def test_versions_list_with_unparseable_items_still_matches_the_rest() -> None:
    listed = ["1.0", "not a version", 5, "2.0.0", {"x": 1}, "v3.0rc1"]
    r = rec([{"introduced": "9"}], versions=listed)
    assert affected_version_keys(r["affected"][0], "PyPI") == ["1", "2", "3rc1"]
    key = normalize_name("PyPI", "pkg")
    # With a scan's cache (the keys kept between queries) and without.
    for cache in ({}, None):
        for version, affected in (
            ("1.0.0", True),
            ("2", True),
            ("3.0.0rc1", True),
            ("3.0", False),
            ("4", False),
        ):
            assert (match(r, "PyPI", key, version, parse("PyPI", version), cache) is not None) is affected


def test_version_keys_agree_with_packaging_for_every_version_in_the_snapshot() -> None:
    if not PYPA_ZIP.is_file():
        pytest.skip("shared fixtures not available")
    from packaging.utils import canonicalize_version

    texts = {
        v
        for _, r in iter_zip_records(PYPA_ZIP)
        for a in r.get("affected") or ()
        for v in a.get("versions") or ()
        if isinstance(v, str)
    }
    texts |= {"01.0", "1.0.0rc01", "1.0.post0", "1.0-1", "1!2.0", "2.0+local.1", "1.0.DEV1", " 1.0 ", "0.0.0"}
    texts |= {"0", "0.0", "10.0.0", "1.0.10", "1.0.0.5", "1.10.0rc1", "1.0a0.post0.dev0", "2.0.dev3", "1.0rc"}
    checked = 0
    for text in sorted(texts):
        try:
            expected = canonicalize_version(parse("PyPI", text), strip_trailing_zero=True)
        except UnparseableVersion:
            continue
        assert version_key("PyPI", text) == expected, text
        checked += 1
    assert checked > 10_000


def test_withdrawn_never_matches() -> None:
    r = rec([{"introduced": "0"}], withdrawn="2023-06-06T10:37:00Z")
    assert not hit(r, "1.0")


def test_unparseable_bounds_err_towards_affected_and_are_noted() -> None:
    r = rec([{"introduced": "0"}, {"fixed": "2019-09-12-garbage"}])
    m = match(r, "PyPI", "pkg", "5.0", parse("PyPI", "5.0"))
    assert m is not None and m.fixed == ()
    assert any("unparseable" in n for n in m.notes)


def test_semver_range_type_and_git_ranges_ignored() -> None:
    r = rec([{"introduced": "1.0.0"}, {"fixed": "1.2.0"}], eco="npm", name="x", rtype="SEMVER")
    assert hit(r, "1.1.9", "npm", "x") and not hit(r, "1.2.0", "npm", "x")
    g = rec([{"introduced": "0"}, {"fixed": "abc123"}], rtype="GIT")
    assert not hit(g, "1.0")


def test_other_package_in_record_does_not_match() -> None:
    r = rec([{"introduced": "0"}], name="other")
    assert not hit(r, "1.0")
    r2 = rec([{"introduced": "0"}], eco="npm", name="pkg")
    assert not hit(r2, "1.0")


def test_fixed_versions_above_installed_only_in_order() -> None:
    r = rec(
        [
            {"introduced": "0"},
            {"fixed": "3.2.20"},
            {"introduced": "4.0"},
            {"fixed": "4.1.10"},
            {"introduced": "4.2"},
            {"fixed": "4.2.3"},
        ]
    )
    m = match(r, "PyPI", "pkg", "4.2.1", parse("PyPI", "4.2.1"))
    assert m is not None and m.fixed == ("4.2.3",)
    m = match(r, "PyPI", "pkg", "3.2.1", parse("PyPI", "3.2.1"))
    assert m is not None and m.fixed == ("3.2.20", "4.1.10", "4.2.3")


# -- severity ------------------------------------------------------------------------------------------------
def test_severity_from_cvss_v3_and_v4_and_fallbacks() -> None:
    v3 = {
        "id": "A",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H"}],
    }
    s = record_severity(v3)
    assert (s.severity, s.score, s.source) == ("critical", 9.6, "CVSS_V3")
    v4 = {
        "id": "B",
        "severity": [
            {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H"},
            {"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"},
        ],
    }
    s = record_severity(v4)
    assert s.source == "CVSS_V4" and s.severity == "medium"
    db = {"id": "C", "database_specific": {"severity": "MODERATE"}}
    assert record_severity(db).severity == "medium" and record_severity(db).source == "database"
    broken = {
        "id": "D",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/garbage"}],
        "database_specific": {"severity": "HIGH"},
    }
    assert record_severity(broken).severity == "high"
    assert record_severity({"id": "E"}).severity == "unknown"


def test_alias_groups_are_transitive_and_primary_prefers_pysec() -> None:
    a = {"id": "GHSA-aaaa", "aliases": ["CVE-1"], "affected": []}
    b = {"id": "PYSEC-1", "aliases": ["CVE-1", "GHSA-aaaa"], "affected": []}
    c = {"id": "OSV-9", "aliases": ["GHSA-aaaa"], "affected": []}
    d = {"id": "GHSA-bbbb", "affected": []}
    from gate.evidence.vulns.osv import Match

    findings = group_matches([Match(x, ()) for x in (a, b, c, d)], {}, "PyPI")
    assert [f.id for f in findings] == ["GHSA-bbbb", "PYSEC-1"]
    merged = findings[1]
    assert merged.records == ["GHSA-aaaa", "OSV-9", "PYSEC-1"]
    assert merged.aliases == ["CVE-1", "GHSA-aaaa", "OSV-9"]


def test_malicious_package_reports_are_critical_and_flagged() -> None:
    from gate.evidence.vulns.osv import Match

    mal = rec(
        [{"introduced": "0"}],
        eco="npm",
        name="expresss",
        id="MAL-2025-1234",
        summary="Malicious code in expresss (npm)",
    )
    m = match(mal, "npm", "expresss", "4.0.0", parse("npm", "4.0.0"))
    assert m is not None
    (f,) = group_matches([m], {}, "npm")
    assert f.malicious and f.severity.severity == "critical" and f.severity.source == "malicious-package"
    assert f.to_json()["malicious"] is True
    (plain,) = group_matches([Match(rec([{"introduced": "0"}]), ())], {}, "PyPI")
    assert plain.malicious is False
