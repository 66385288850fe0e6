package gate.rules.posture_test

import rego.v1

import data.gate.rules.posture

_finding(rule, file, line) := {
	"rule": rule,
	"title": "t",
	"severity": "high",
	"file": file,
	"line": line,
	"column": 1,
	"snippet": "requests.get(url, headers=headers)",
	"message": "the inbound Authorization value reaches requests.get(headers=...)",
	"explanation": "why",
	"language": "python",
}

_probe(check, rule, status) := {
	"check": check,
	"rule": rule,
	"title": "t",
	"status": status,
	"message": "m",
	"evidence": [{"request": {"method": "POST", "url": "http://127.0.0.1:8000/mcp"}, "response": {"status": 200}}],
}

_doc := {"mcp": {"posture": {
	"static": [
		_finding("token_passthrough", "server.py", 17),
		_finding("plain_http", "server.py", 3),
		_finding("session_id_insecure", "src/session.ts", 9),
	],
	"config": [_finding("config_unpinned_package", ".mcp.json", 4)],
	"probe": [
		_probe("token_audience", "probe_token_audience", "fail"),
		_probe("origin", "probe_origin", "pass"),
		_probe("token_expired", "probe_token_expired", "fail"),
		_probe("session_id", "probe_session_id", "error"),
	],
}}}

test_token_passthrough_denied_with_file_and_line if {
	results := posture.deny_token_passthrough with input as _doc
	count(results) == 1
	some r in results
	r.code == "posture.token_passthrough"
	r.location == {"file": "server.py", "line": 17}
	r.evidence.snippet == "requests.get(url, headers=headers)"
}

test_plain_http_only_warns if {
	warned := posture.warn_plain_http with input as _doc
	count(warned) == 1
	denied := posture.deny_token_passthrough with input as _doc
	every r in denied {
		r.code != "posture.plain_http"
	}
}

test_insecure_session_id_denied if {
	results := posture.deny_session_id_insecure with input as _doc
	count(results) == 1
}

test_config_finding_warns if {
	results := posture.warn_config_unpinned_package with input as _doc
	count(results) == 1
	some r in results
	r.location.file == ".mcp.json"
}

test_failed_probe_denied_and_passed_probe_silent if {
	aud := posture.deny_probe_token_audience with input as _doc
	count(aud) == 1
	origin := posture.deny_probe_origin with input as _doc
	count(origin) == 0
}

test_expired_token_probe_warns if {
	results := posture.warn_probe_token_expired with input as _doc
	count(results) == 1
}

test_probe_error_warns if {
	results := posture.warn_probe_error with input as _doc
	count(results) == 1
	some r in results
	r.code == "posture.probe_error"
}

test_no_probe_no_results if {
	doc := {"mcp": {"posture": {"static": [], "config": [], "probe": null}}}
	results := posture.deny_probe_token_audience with input as doc
	count(results) == 0
}

test_no_posture_section_no_results if {
	results := posture.deny_token_passthrough with input as {"mcp": {}}
	count(results) == 0
}
