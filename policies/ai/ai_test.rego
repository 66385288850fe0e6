package gate.rules.ai_test

import rego.v1

import data.gate.rules.ai

_e(overrides) := object.union(
	{
		"id": "gate:0000",
		"name": "models/head.pt",
		"type": "machine-learning-model",
		"kind": "model",
		"source": "local",
		"purl": null,
		"revision": null,
		"pinned_revision": null,
		"pinned": false,
		"env_override": null,
		"format": "pytorch",
		"pickle_based": true,
		"hashes": {},
		"licenses": [],
		"signature": null,
		"pickle_scan": {"status": "clean", "dangerous": [], "suspicious": [], "errors": []},
		"problems": [],
		"locations": [{"file": "models/head.pt"}],
		"projects": [],
	},
	overrides,
)

_doc := {"ai": [
	_e({}),
	_e({"id": "gate:evil", "name": "models/evil.pkl", "format": "pickle", "locations": [{"file": "app.py", "line": 2}, {"file": "models/evil.pkl"}], "pickle_scan": {"status": "dangerous", "dangerous": ["posix.system"], "suspicious": [], "errors": []}}),
	_e({"id": "gate:sk", "name": "models/clf.joblib", "format": "joblib", "pickle_scan": {"status": "suspicious", "dangerous": [], "suspicious": ["sklearn.linear_model._logistic.LogisticRegression", "numpy.core.multiarray._reconstruct"], "errors": []}}),
	_e({"id": "gate:bomb", "name": "models/bomb.pt", "pickle_scan": {"status": "error", "dangerous": [], "suspicious": [], "errors": ["archive/data.pkl: member expands to 1,073,741,824 bytes"]}}),
	_e({"id": "gate:st", "name": "weights/big.safetensors", "format": "safetensors", "pickle_based": false, "pickle_scan": null, "problems": ["safetensors header claims 1,099,511,627,776 bytes"]}),
	_e({"id": "pkg:huggingface/BAAI/bge-small-en-v1.5", "name": "BAAI/bge-small-en-v1.5", "kind": "embedding", "source": "hub", "format": null, "pickle_based": false, "pickle_scan": null, "locations": [{"file": "app.py", "line": 3}]}),
	_e({"id": "pkg:huggingface/acme/pinned@0123456789abcdef0123456789abcdef01234567", "name": "acme/pinned", "source": "hub", "pinned": true, "pinned_revision": "0123456789abcdef0123456789abcdef01234567", "format": null, "pickle_based": false, "pickle_scan": null, "licenses": ["CC-BY-NC-4.0"]}),
	{"id": "gate:svc", "name": "OpenAI API", "kind": "api", "source": "api", "locations": [], "pickle_scan": null, "pickle_based": false},
]}

test_dangerous_pickle_denied if {
	results := ai.deny_pickle_dangerous with input as _doc
	count(results) == 1
	some r in results
	r.code == "ai.pickle_dangerous"
	r.component == "gate:evil"
	contains(r.msg, "posix.system")
	r.location == {"file": "models/evil.pkl"}
}

test_unsafe_artifacts_denied if {
	results := ai.deny_artifact_unsafe with input as _doc
	codes := {r.component | some r in results}
	codes == {"gate:bomb", "gate:st"}
}

test_suspicious_globals_outside_allowlist_warned if {
	results := ai.warn_pickle_suspicious with input as _doc
	count(results) == 1
	some r in results
	r.evidence.globals == ["sklearn.linear_model._logistic.LogisticRegression"]
}

test_pickle_model_outside_allowlist_warned if {
	results := ai.warn_pickle_model with input as _doc
	names := {r.component | some r in results}
	names == {"gate:0000", "gate:sk", "gate:bomb"}
}

test_unpinned_hub_model_warned_and_strict_denies if {
	warned := ai.warn_unpinned with input as _doc
	count(warned) == 1
	some w in warned
	w.component == "pkg:huggingface/BAAI/bge-small-en-v1.5"
	w.location == {"file": "app.py", "line": 3}
	denied := ai.deny_unpinned_strict with input as _doc
	count(denied) == 1
	some d in denied
	d.code == "ai.unpinned_strict"
}

test_denied_licence if {
	results := ai.deny_license_denied with input as _doc
	count(results) == 1
	some r in results
	r.component == "pkg:huggingface/acme/pinned@0123456789abcdef0123456789abcdef01234567"
}

test_allowlisted_partial_scan_is_not_unsafe if {
	doc := {"ai": [_e({"id": "gate:partial", "name": "models/ok.joblib", "pickle_scan": {"status": "error", "dangerous": [], "suspicious": [], "errors": ["stopped early"]}})]}
	results := ai.deny_artifact_unsafe with input as doc with data.gate.config.ai.pickle_allowlist as ["models/"]
	count(results) == 0
}

test_keras_lambda_denied if {
	doc := {"ai": [_e({"id": "gate:k", "name": "models/m.keras", "format": "keras", "pickle_based": false, "pickle_scan": null, "risks": ["keras-lambda"]})]}
	results := ai.deny_keras_lambda with input as doc
	count(results) == 1
	some r in results
	r.code == "ai.keras_lambda"
}

test_services_are_not_models if {
	results := array.concat(ai.warn_unpinned, ai.warn_pickle_model) with input as _doc
	count([r | some r in results; r.component == "gate:svc"]) == 0
}
