# Rules about known vulnerabilities (input.components[].vulnerabilities and input.vulnerabilities, written
# by gate.evidence.vulns). Python matches OSV records, merges aliases, rates severity and applies VEX and
# exceptions (suppressed findings carry "suppressed"); these rules decide what blocks. Thresholds are
# policy data in data.gate.config.vulns.
package gate.rules.vulns

import rego.v1

_first(arr, fallback) := arr[0] if {
	count(arr) > 0
} else := fallback

_defaults := {
	"deny_fixable_min_severity": "high",
	"deny_unfixed_min_severity": "critical",
	"warn_min_severity": "medium",
	"unknown_severity_as": "high",
	"max_db_age_days": 7,
	"warn_unchecked_reasons": ["no-version", "unparseable-version", "unknown-ecosystem", "no-data"],
}

_given := data.gate.config.vulns if {
	is_object(data.gate.config.vulns)
} else := {}

_cfg := object.union(_defaults, _given)

_ranks := {"critical": 4, "high": 3, "medium": 2, "low": 1, "none": 0, "info": 0}

_rank(sev) := _ranks[sev]

_rank(sev) := _ranks[_cfg.unknown_severity_as] if not _ranks[sev]

_deny_fixable_rank := _ranks[_cfg.deny_fixable_min_severity]

_deny_unfixed_rank := _ranks[_cfg.deny_unfixed_min_severity]

_warn_rank := _ranks[_cfg.warn_min_severity]

# The section is read through references, never copied whole (object.get would copy it: the unchecked
# list alone holds one entry per package when there is no database).
_has_section if is_object(input.vulnerabilities)

# Every active (not suppressed) finding with its component, its rank and whether a fix exists. Known
# malicious packages have a rule of their own.
_active := [{"c": c, "f": f, "rank": _rank(f.severity), "fix": f.fix_available} |
	some c in input.components
	some f in object.get(c, "vulnerabilities", [])
	not is_object(object.get(f, "suppressed", null))
	not object.get(f, "malicious", false)
]

_malicious := [{"c": c, "f": f} |
	some c in input.components
	some f in object.get(c, "vulnerabilities", [])
	not is_object(object.get(f, "suppressed", null))
	object.get(f, "malicious", false)
]

# METADATA
# title: Known malicious package
# description: >-
#   A dependency is reported as malicious (OSV MAL- advisories from the OpenSSF malicious-packages
#   database): typosquats, account takeovers, install-time malware. No version of it should ship.
# custom:
#   short_name: malicious
#   severity: critical
#   solution: >-
#     Remove the package and every artifact built with it, rotate secrets the build or the server could reach,
#     and check the lockfile for how it got in (a typo, a hijacked dependency).
#   collections: [minimal, recommended, strict]
deny_malicious := [_result("vulns.malicious", a, "; known malicious package") |
	some a in _malicious
]

_result(code, a, what) := {
	"code": code,
	"msg": concat("", [a.c.name, " ", a.c.version, ": ", _severity_text(a.f), " vulnerability ", a.f.id, _aliases_text(a.f), what]),
	"component": a.c.ref,
	"location": _first(object.get(a.c, "locations", []), null),
	"evidence": {
		"vulnerability": a.f.id,
		"aliases": a.f.aliases,
		"vulnerability_ids": a.f.ids,
		"severity": a.f.severity,
		"score": a.f.score,
		"vector": a.f.vector,
		"summary": a.f.summary,
		"fixed_versions": a.f.fixed_versions,
		"fix_suggestion": a.f.fix_suggestion,
		"source": a.f.source,
	},
	"source": "vulnerabilities",
}

# (Messages are built with concat: the embedded engine corrupts sprintf of computed strings.)
_aliases_text(f) := concat("", [" (", concat(", ", f.aliases), ")"]) if {
	count(f.aliases) > 0
} else := ""

_severity_text(f) := "unrated" if {
	f.severity == "unknown"
} else := f.severity

_fix_text(a) := concat("", ["; upgrade to ", a.f.fix_suggestion.upgrade_to]) if {
	a.f.fix_suggestion.upgrade_to
} else := concat("", ["; fixed in ", concat(", ", a.f.fixed_versions)])

# METADATA
# title: Vulnerability with a fix available
# description: >-
#   A dependency has a known vulnerability of high or critical severity (policy data
#   deny_fixable_min_severity; unrated ones count as unknown_severity_as) and a fixed version exists.
# custom:
#   short_name: fixable
#   severity: high
#   solution: >-
#     Upgrade the package to a fixed version (the evidence lists them, and pip-audit's suggestion for Python).
#     If the vulnerable code is not reachable, say so in a VEX document (--vex) or add a time-limited
#     exception naming the vulnerability.
#   collections: [minimal, recommended, strict]
deny_fixable := [_result("vulns.fixable", a, _fix_text(a)) |
	some a in _active
	a.fix
	a.rank >= _deny_fixable_rank
]

# METADATA
# title: Critical vulnerability without a fix
# description: >-
#   A dependency has a known critical vulnerability (policy data deny_unfixed_min_severity) and no fixed
#   version exists yet.
# custom:
#   short_name: unfixed
#   severity: critical
#   solution: >-
#     Replace or remove the dependency, or mitigate and record it: a VEX statement (--vex) that the product is
#     not affected, or a time-limited exception naming the vulnerability.
#   collections: [minimal, recommended, strict]
deny_unfixed := [_result("vulns.unfixed", a, "; no fixed version") |
	some a in _active
	not a.fix
	a.rank >= _deny_unfixed_rank
]

# METADATA
# title: Vulnerability below the blocking threshold
# description: >-
#   A dependency has a known vulnerability at or above warn_min_severity (medium by default) that the
#   blocking rules do not cover (for example medium, or high without a fix).
# custom:
#   short_name: vulnerable
#   severity: medium
#   solution: Upgrade when a fix is available; otherwise assess it and record the outcome in a VEX document.
#   collections: [recommended, strict]
warn_vulnerable := [_result("vulns.vulnerable", a, what) |
	some a in _active
	a.rank >= _warn_rank
	not _denied(a)
	what := _warn_text(a)
]

_denied(a) if {
	a.fix
	a.rank >= _deny_fixable_rank
}

_denied(a) if {
	not a.fix
	a.rank >= _deny_unfixed_rank
}

_warn_text(a) := _fix_text(a) if a.fix

_warn_text(a) := "; no fixed version" if not a.fix

# METADATA
# title: Vulnerability data missing, broken or too old
# description: >-
#   The scan had no usable vulnerability database (missing, corrupt, half-written, unreachable API) or its
#   data is older than max_db_age_days. Without current data "no vulnerabilities" means nothing.
# custom:
#   short_name: database
#   severity: high
#   solution: >-
#     Run `gate db update` (or pass --vuln-db with a current database, or --network to use the OSV API), then
#     run the gate again.
#   collections: [minimal, recommended, strict]
deny_database := [r |
	some problem in _db_problems
	r := {
		"code": "vulns.database",
		"msg": problem.msg,
		"component": null,
		"location": null,
		"evidence": problem.evidence,
		"source": "vulnerabilities",
	}
]

_db := db if {
	db := input.vulnerabilities.database
	is_object(db)
} else := {"status": "missing", "error": "the vulnerability evidence names no database"}

_db_ok if _db.status == "ok"

_db_problems := [{"msg": "no vulnerability evidence in the input (the vulnerability scan did not run)", "evidence": {}}] if {
	not _has_section
} else := [p |
	some p in array.concat(_db_status_problem, _db_age_problem)
]

_db_status_problem := [{
	"msg": concat("", ["vulnerability database is ", _db.status, ": ", object.get(_db, "error", "see the evidence")]),
	"evidence": _db,
}] if {
	not _db_ok
} else := []

_db_age_problem := [{
	"msg": sprintf("vulnerability database is %v days old (policy allows %v)", [_db.age_days, _cfg.max_db_age_days]),
	"evidence": _db,
}] if {
	_db_ok
	is_number(_db.age_days)
	_db.age_days > _cfg.max_db_age_days
} else := []

# METADATA
# title: Component not checked for vulnerabilities
# description: >-
#   A package could not be checked: no version (not pinned or locked), a version its ecosystem cannot
#   parse, an ecosystem without vulnerability data, or no data for it in the database.
# custom:
#   short_name: unchecked
#   severity: medium
#   solution: Pin and lock the dependency to a released version, or update the database for its ecosystem.
#   collections: [recommended, strict]
warn_unchecked := [r |
	some u in input.vulnerabilities.unchecked
	_report_unchecked(u)
	u.reason_code in _cfg.warn_unchecked_reasons
	r := {
		"code": "vulns.unchecked",
		"msg": concat("", [u.name, " ", _version_text(u), " was not checked for vulnerabilities: ", u.reason]),
		"component": u.ref,
		"location": object.get(u, "location", null),
		"evidence": u,
		"source": "vulnerabilities",
	}
]

# When the database itself is unusable, vulns.database says so once instead of one warning per package.
_report_unchecked(u) if u.reason_code != "no-data"

_report_unchecked(u) if {
	_db_ok
	u.reason_code == "no-data"
}

_version_text(u) := u.version if {
	is_string(u.version)
} else := "(no version)"


