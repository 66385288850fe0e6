package gate.rules.core_test

import rego.v1

import data.gate.rules.core

_ok := {"name": "python", "status": "ok", "reason": null, "errors": [], "stats": {}}

_failed := {
	"name": "vulns",
	"status": "failed",
	"reason": null,
	"errors": [{"message": "database \"osv\" is missing ü", "file": "osv.zip", "line": 1}],
	"stats": {},
}

_incomplete_no_errors := {"name": "node", "status": "incomplete", "reason": "timed out after 30 s", "errors": [], "stats": {}}

test_all_collectors_ok_passes if {
	count(core.deny_collector_failed) == 0 with input as {"collectors": [_ok]}
	count(core.deny_collector_incomplete) == 0 with input as {"collectors": [_ok]}
}

test_failed_collector_denied if {
	results := core.deny_collector_failed with input as {"collectors": [_ok, _failed]}
	count(results) == 1
	some r in results
	r.code == "core.collector_failed"
	r.evidence.collector == "vulns"
	r.location.file == "osv.zip"
	contains(r.msg, "database \"osv\" is missing ü")
}

test_incomplete_without_errors_uses_reason if {
	results := core.deny_collector_incomplete with input as {"collectors": [_incomplete_no_errors]}
	count(results) == 1
	some r in results
	r.code == "core.collector_incomplete"
	contains(r.msg, "timed out after 30 s")
	r.location == null
}

test_skipped_collector_is_not_a_failure if {
	skipped := {"name": "ai", "status": "skipped", "reason": "not asked for", "errors": [], "stats": {}}
	count(core.deny_collector_failed) == 0 with input as {"collectors": [skipped]}
}
