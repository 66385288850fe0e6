package gate.rules.vulns_test

import rego.v1

import data.gate.rules.vulns

_finding(overrides) := object.union(
	{
		"id": "PYSEC-2018-28",
		"aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
		"ids": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"],
		"records": ["PYSEC-2018-28"],
		"summary": "Insecure redirect",
		"severity": "high",
		"score": 7.5,
		"vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
		"severity_source": "CVSS_V3",
		"fixed_versions": ["2.20.0"],
		"fix_available": true,
		"fix_suggestion": {"tool": "pip-audit", "upgrade_to": "2.31.0", "resolves": 2},
		"source": {"kind": "managed"},
		"suppressed": null,
	},
	overrides,
)

_component(name, findings) := {
	"ref": concat("", ["pkg:pypi/", name, "@1.0"]),
	"name": name,
	"version": "1.0",
	"locations": [{"file": "uv.lock", "line": 10}],
	"vulnerabilities": findings,
	"vulnerabilities_checked": true,
}

_section(db, unchecked) := {
	"source": "offline",
	"database": db,
	"unchecked": unchecked,
	"suppressed": [],
	"summary": {},
}

_ok_db := {"kind": "managed", "status": "ok", "age_days": 1.5, "records": 2661}

_doc := {
	"components": [
		_component("high-fixable", [_finding({})]),
		_component("critical-unfixed", [_finding({"id": "GHSA-aaaa", "severity": "critical", "fixed_versions": [], "fix_available": false, "fix_suggestion": null})]),
		_component("high-unfixed", [_finding({"id": "GHSA-bbbb", "fixed_versions": [], "fix_available": false, "fix_suggestion": null})]),
		_component("medium", [_finding({"id": "GHSA-cccc", "severity": "medium"})]),
		_component("low", [_finding({"id": "GHSA-dddd", "severity": "low"})]),
		_component("unrated", [_finding({"id": "PYSEC-9", "severity": "unknown", "score": null, "vector": null})]),
		_component("suppressed", [_finding({"severity": "critical", "suppressed": {"by": "vex", "justification": "code_not_reachable"}})]),
		_component("clean", []),
		_component("typosquat", [_finding({"id": "MAL-2025-1234", "aliases": [], "ids": ["MAL-2025-1234"], "severity": "critical", "fixed_versions": [], "fix_available": false, "fix_suggestion": null, "malicious": true})]),
	],
	"vulnerabilities": _section(_ok_db, [{"ref": "pkg:pypi/x", "name": "x", "version": null, "reason_code": "no-version", "reason": "no version to check"}]),
}

test_high_with_fix_and_unrated_with_fix_denied if {
	results := vulns.deny_fixable with input as _doc
	refs := {r.component | some r in results}
	refs == {"pkg:pypi/high-fixable@1.0", "pkg:pypi/unrated@1.0"}
	some r in results
	r.component == "pkg:pypi/high-fixable@1.0"
	r.code == "vulns.fixable"
	r.location == {"file": "uv.lock", "line": 10}
	"CVE-2018-18074" in r.evidence.vulnerability_ids
	"CVE-2018-18074" in r.evidence.aliases
	contains(r.msg, "upgrade to 2.31.0")
}

test_unrated_finding_says_so if {
	results := vulns.deny_fixable with input as _doc
	some r in results
	r.component == "pkg:pypi/unrated@1.0"
	startswith(r.msg, "unrated 1.0: unrated vulnerability PYSEC-9")
}

test_critical_without_fix_denied if {
	results := vulns.deny_unfixed with input as _doc
	count(results) == 1
	some r in results
	r.component == "pkg:pypi/critical-unfixed@1.0"
	r.evidence.vulnerability == "GHSA-aaaa"
}

test_medium_and_high_unfixed_warn if {
	results := vulns.warn_vulnerable with input as _doc
	{r.component | some r in results} == {"pkg:pypi/medium@1.0", "pkg:pypi/high-unfixed@1.0"}
}

test_unchecked_components_warn if {
	results := vulns.warn_unchecked with input as _doc
	count(results) == 1
	some r in results
	r.code == "vulns.unchecked"
	r.component == "pkg:pypi/x"
}

test_current_database_passes if {
	results := vulns.deny_database with input as _doc
	count(results) == 0
}

test_missing_database_denied if {
	results := vulns.deny_database with input as {"components": [], "vulnerabilities": _section({"kind": "none", "status": "missing", "error": "no vulnerability database"}, [])}
	count(results) == 1
	some r in results
	contains(r.msg, "missing")
}

test_stale_database_denied if {
	results := vulns.deny_database with input as {"components": [], "vulnerabilities": _section({"kind": "managed", "status": "ok", "age_days": 30}, [])}
	count(results) == 1
	some r in results
	contains(r.msg, "30 days old")
}

test_no_vulnerability_section_denied if {
	results := vulns.deny_database with input as {"components": []}
	count(results) == 1
}

test_section_without_database_denied if {
	results := vulns.deny_database with input as {"components": [], "vulnerabilities": {"unchecked": []}}
	count(results) == 1
	some r in results
	contains(r.msg, "names no database")
}

test_thresholds_are_policy_data if {
	results := vulns.deny_fixable with input as _doc
		with data.gate.config.vulns as {"deny_fixable_min_severity": "critical", "unknown_severity_as": "low"}
	count(results) == 0
}

test_unchecked_for_lack_of_data_left_to_the_database_rule if {
	results := vulns.warn_unchecked with input as {"components": [], "vulnerabilities": _section({"kind": "osv-api", "status": "unreachable"}, [{"ref": "pkg:npm/a@1.0.0", "name": "a", "version": "1.0.0", "reason_code": "no-data", "reason": "OSV API unavailable"}])}
	count(results) == 0
}

test_suppressed_findings_never_reported if {
	results := array.concat(vulns.deny_fixable, array.concat(vulns.deny_unfixed, vulns.warn_vulnerable)) with input as _doc
	every r in results {
		r.component != "pkg:pypi/suppressed@1.0"
	}
}

test_malicious_package_denied_once if {
	results := vulns.deny_malicious with input as _doc
	count(results) == 1
	some r in results
	r.code == "vulns.malicious"
	r.component == "pkg:pypi/typosquat@1.0"
}

test_malicious_package_not_reported_again if {
	results := array.concat(vulns.deny_unfixed, vulns.warn_vulnerable) with input as _doc
	every r in results {
		r.component != "pkg:pypi/typosquat@1.0"
	}
}

_unchecked_doc := {"components": [], "vulnerabilities": {"database": {"status": "ok", "age_days": 1}, "unchecked": [{
	"ref": "pkg:pypi/anyio", "name": "anyio", "version": null, "ecosystem": "pypi",
	"reason_code": "no-version", "reason": "no exact version to check",
	"location": {"file": "requirements.txt", "line": 3},
}]}}

test_unchecked_points_at_the_declaration if {
	results := vulns.warn_unchecked with input as _unchecked_doc
	[r.location | some r in results] == [{"file": "requirements.txt", "line": 3}]
}

_no_section_doc := {"components": []}

test_unchecked_needs_no_section if {
	count(vulns.warn_unchecked) == 0 with input as _no_section_doc
}
