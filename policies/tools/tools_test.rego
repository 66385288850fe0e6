package gate.rules.tools_test

import rego.v1

import data.gate.rules.tools

_finding(detector, severity) := {
	"detector": detector,
	"severity": severity,
	"field": "description",
	"span": "x",
	"explanation": "y",
}

_tool(name, findings) := {
	"kind": "tool",
	"name": name,
	"key": name,
	"digest": "sha256:00",
	"location": {"file": "server.py", "line": 12},
	"findings": findings,
	"flagged": false,
	"lock_status": "match",
}

_doc(lock, diff) := {"mcp": {
	"tools": [
		_tool("clean", [_finding("external-destination", "low")]),
		_tool("medium", [_finding("model-directive", "medium")]),
		_tool("poisoned", [_finding("secrecy", "high"), _finding("poisoning-combination", "critical")]),
		_tool("hidden", [_finding("unicode-tags", "critical")]),
	],
	"prompts": [],
	"resources": [],
	"resource_templates": [],
	"instructions": {"text": "x", "digest": "sha256:01", "location": null, "findings": [_finding("bidi-control", "high")]},
	"lock": lock,
	"client_identity_diff": diff,
}}

_match := {"path": "mcp-tools.lock.json", "status": "match", "changes": []}

_drift := {"path": "mcp-tools.lock.json", "status": "drift", "changes": [
	{"change": "changed", "kind": "tool", "name": "clean", "old_digest": "sha256:a", "new_digest": "sha256:b", "fields": [{"path": "description", "op": "changed"}], "location": {"file": "server.py", "line": 12}},
	{"change": "renamed", "kind": "tool", "name": "new", "old_name": "old", "old_digest": "sha256:c", "new_digest": "sha256:d", "fields": []},
]}

_missing := {"path": "mcp-tools.lock.json", "status": "missing", "changes": []}

test_flagged_tools_and_instructions_denied if {
	results := tools.deny_flagged with input as _doc(_match, [])
	names := {r.component | some r in results}
	names == {"mcp:tool/poisoned", "mcp:tool/hidden", "mcp:instructions"}
	some r in results
	r.component == "mcp:tool/poisoned"
	r.code == "tools.flagged"
	r.location == {"file": "server.py", "line": 12}
	count(r.evidence.findings) == 2
}

test_flag_threshold_is_policy_data if {
	results := tools.deny_flagged with input as _doc(_match, []) with data.gate.config.tools as {"flag_severity": "medium"}
	"mcp:tool/medium" in {r.component | some r in results}
	strict := tools.deny_flagged with input as _doc(_match, []) with data.gate.config.tools as {"flag_severity": "critical"}
	{r.component | some r in strict} == {"mcp:tool/poisoned", "mcp:tool/hidden"}
}

test_invisible_text_denied_anywhere if {
	results := tools.deny_invisible_text with input as _doc(_match, [])
	{r.component | some r in results} == {"mcp:tool/hidden", "mcp:instructions"}
}

test_drift_denied_per_change if {
	results := tools.deny_drift with input as _doc(_drift, [])
	count(results) == 2
	some r in results
	r.component == "mcp:tool/new"
	contains(r.msg, "renamed from old")
}

test_no_drift_when_the_lock_matches if {
	results := tools.deny_drift with input as _doc(_match, [])
	count(results) == 0
}

test_missing_lock_warns if {
	results := tools.warn_unlocked with input as _doc(_missing, [])
	count(results) == 1
	results[0].code == "tools.unlocked"
}

test_no_warning_with_a_lock if {
	results := tools.warn_unlocked with input as _doc(_match, [])
	count(results) == 0
}

test_client_identity_difference_denied if {
	diff := [{"change": "added", "kind": "tool", "name": "sync_notes", "identities": ["gate-mcp-inventory", "claude-code"], "fields": []}]
	results := tools.deny_client_identity with input as _doc(_match, diff)
	count(results) == 1
	contains(results[0].msg, "claude-code")
}

test_no_mcp_section_no_results if {
	count(tools.deny_flagged) == 0 with input as {"components": []}
	count(tools.deny_drift) == 0 with input as {"components": []}
	count(tools.warn_unlocked) == 0 with input as {"components": []}
}
