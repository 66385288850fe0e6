# Rules about AI components (input.ai, written by gate.collect.ai): models, embeddings, datasets, hosted
# AI APIs and the model files shipped with the target. Python decides what a file contains (its format,
# the globals its pickles import, classified by picklescan); these rules decide what matters. Allowlists
# and the licence deny list are policy data in data.gate.config.ai.
package gate.rules.ai

import rego.v1

_config := data.gate.config.ai if {
	is_object(data.gate.config.ai)
} else := {}

_entries := [e | some e in object.get(input, "ai", []); e.kind != "api"]

_location(e) := e.locations[0] if {
	count(e.locations) > 0
} else := null

# For a model file, the file itself (else where it is used).
_file_location(e) := loc if {
	some loc in e.locations
	loc.file == e.name
} else := _location(e)

_scan(e) := s if {
	s := e.pickle_scan
	is_object(s)
} else := {"status": "none", "dangerous": [], "suspicious": [], "errors": []}

_global_allowed(g) if {
	some a in object.get(_config, "allowed_globals", [])
	a == g
}

_global_allowed(g) if {
	some a in object.get(_config, "allowed_globals", [])
	endswith(a, ".*")
	startswith(g, trim_suffix(a, "*"))
}

_pickle_allowed(e) if {
	some a in object.get(_config, "pickle_allowlist", [])
	a in {e.name, e.id}
}

_pickle_allowed(e) if {
	some a in object.get(_config, "pickle_allowlist", [])
	endswith(a, "/")
	startswith(e.name, a)
}

# A pickle scan that could not finish (e.g. joblib writes raw array bytes between pickle opcodes): unsafe
# unless the file is on the reviewed allowlist. Structural problems (forged headers, bombs) always count.
_scan_errors(e, s) := [x | s.status == "error"; some x in object.get(s, "errors", [])] if {
	not _pickle_allowed(e)
} else := []

_denied_licences := {lower(l) | some l in object.get(_config, "license_deny", [])}

# METADATA
# title: Model file whose pickles import dangerous globals
# description: >-
#   A model or data file stored with pickle (PyTorch, joblib, plain pickle, a NumPy object array, a
#   pickle inside an archive) imports a global that runs code when the file is loaded (os.system,
#   builtins.eval, subprocess, runpy, ...). Loading it executes that code.
# custom:
#   short_name: pickle_dangerous
#   severity: critical
#   solution: >-
#     Do not load this file. Replace it with a safetensors (or GGUF/ONNX) export from a trusted source,
#     or rebuild it yourself.
#   collections: [minimal, recommended, strict]
deny_pickle_dangerous := [result |
	some e in _entries
	s := _scan(e)
	count(object.get(s, "dangerous", [])) > 0
	first := s.dangerous[0]
	result := {
		"code": "ai.pickle_dangerous",
		"msg": sprintf("%s imports %d dangerous global(s) when unpickled, e.g. %s", [e.name, count(s.dangerous), first]),
		"component": e.id,
		"location": _file_location(e),
		"evidence": {"pickle_scan": s, "format": e.format},
		"source": "ai",
	}
]

# METADATA
# title: Model file that could not be scanned or is malformed
# description: >-
#   A model file is truncated, forged (a header that claims more than the file holds, impossible tensor
#   counts), an archive bomb, encrypted, or a pickle whose scan failed or stopped early (not on
#   gate.config.ai.pickle_allowlist). What it would do when loaded is unknown, so it is treated as unsafe.
# custom:
#   short_name: artifact_unsafe
#   severity: high
#   solution: >-
#     Remove the file or replace it with an intact copy from a trusted source; see the problem named in
#     the evidence. A pickle whose scan stopped early can be reviewed and added to pickle_allowlist.
#   collections: [minimal, recommended, strict]
deny_artifact_unsafe := [result |
	some e in _entries
	s := _scan(e)
	problems := array.concat(object.get(e, "problems", []), _scan_errors(e, s))
	count(problems) > 0
	count(object.get(s, "dangerous", [])) == 0
	result := {
		"code": "ai.artifact_unsafe",
		"msg": sprintf("%s: %s", [e.name, problems[0]]),
		"component": e.id,
		"location": _file_location(e),
		"evidence": {"problems": problems, "format": e.format},
		"source": "ai",
	}
]

# METADATA
# title: Pickle imports globals outside the allowlist
# description: >-
#   A pickle-based model file imports globals that picklescan does not know to be safe and that are not
#   in policy data gate.config.ai.allowed_globals. They are not known to run code, but loading the file
#   imports and calls them.
# custom:
#   short_name: pickle_suspicious
#   severity: medium
#   solution: >-
#     Review the listed globals; if they are expected (e.g. your own estimator classes), add them to
#     allowed_globals; better, store the model as safetensors.
#   collections: [recommended, strict]
warn_pickle_suspicious := [result |
	some e in _entries
	s := _scan(e)
	count(object.get(s, "dangerous", [])) == 0
	unknown := [g | some g in object.get(s, "suspicious", []); not _global_allowed(g)]
	count(unknown) > 0
	first := unknown[0]
	result := {
		"code": "ai.pickle_suspicious",
		"msg": sprintf("%s imports %d global(s) outside the allowlist, e.g. %s", [e.name, count(unknown), first]),
		"component": e.id,
		"location": _file_location(e),
		"evidence": {"globals": unknown, "pickle_scan": s},
		"source": "ai",
	}
]

# METADATA
# title: Pickle-based model from outside the allowlist
# description: >-
#   A model is stored in a pickle-based format (PyTorch, joblib, pickle), which can run code when loaded,
#   and it is not in policy data gate.config.ai.pickle_allowlist.
# custom:
#   short_name: pickle_model
#   severity: medium
#   solution: >-
#     Prefer safetensors, GGUF or ONNX. If this file is reviewed and trusted, add its name (or a folder
#     prefix ending in /) to pickle_allowlist.
#   collections: [recommended, strict]
warn_pickle_model := [result |
	some e in _entries
	e.pickle_based
	count(object.get(_scan(e), "dangerous", [])) == 0
	not _pickle_allowed(e)
	result := {
		"code": "ai.pickle_model",
		"msg": sprintf("%s is a pickle-based %s model outside the allowlist", [e.name, e.format]),
		"component": e.id,
		"location": _file_location(e),
		"evidence": {"format": e.format, "pickle_scan": _scan(e)},
		"source": "ai",
	}
]

# METADATA
# title: Keras model with Lambda layers
# description: >-
#   A Keras model (.keras or H5) contains Lambda layers, which store serialized Python code that runs when
#   the model is loaded (unless the loader enforces Keras 3 safe mode, which older H5 loading paths do not).
# custom:
#   short_name: keras_lambda
#   severity: high
#   solution: >-
#     Rebuild the model without Lambda layers (use registered custom layers), or load it only with
#     safe_mode=True in Keras 3 after reviewing the layer's code.
#   collections: [minimal, recommended, strict]
deny_keras_lambda := [result |
	some e in _entries
	"keras-lambda" in object.get(e, "risks", [])
	result := {
		"code": "ai.keras_lambda",
		"msg": sprintf("%s contains Keras Lambda layers (serialized code run on load)", [e.name]),
		"component": e.id,
		"location": _file_location(e),
		"evidence": {"format": e.format, "risks": e.risks},
		"source": "ai",
	}
]

# METADATA
# title: Hub model or dataset not pinned to a revision
# description: >-
#   A Hugging Face model or dataset is loaded by name without a commit revision, so the repository's
#   owner (or anyone who takes it over) can change what is loaded at any time.
# custom:
#   short_name: unpinned
#   severity: medium
#   solution: >-
#     Pass revision="<40-character commit sha>" where the model or dataset is loaded (gate check
#     --resolve-models shows the current commit).
#   collections: [recommended]
warn_unpinned := [result |
	some e in _entries
	e.source == "hub"
	not e.pinned
	result := {
		"code": "ai.unpinned",
		"msg": sprintf("%s %s is not pinned to a commit revision", [e.kind, e.name]),
		"component": e.id,
		"location": _location(e),
		"evidence": {"revision": e.revision, "env_override": e.env_override},
		"source": "ai",
	}
]

# METADATA
# title: Hub model or dataset not pinned to a revision (strict)
# description: >-
#   The strict collection blocks on a hub model or dataset loaded without a commit revision. It
#   supersedes ai.unpinned where it is selected.
# custom:
#   short_name: unpinned_strict
#   severity: high
#   solution: >-
#     Pass revision="<40-character commit sha>" where the model or dataset is loaded.
#   collections: [strict]
#   supersedes: [ai.unpinned]
deny_unpinned_strict := [result |
	some r in warn_unpinned
	result := {
		"code": "ai.unpinned_strict",
		"msg": r.msg,
		"component": r.component,
		"location": r.location,
		"evidence": r.evidence,
		"source": r.source,
	}
]

# METADATA
# title: Model or dataset under a denied licence
# description: >-
#   A model or dataset carries a licence on policy data gate.config.ai.license_deny (by default the
#   non-commercial Creative Commons licences and the AGPL).
# custom:
#   short_name: license_denied
#   severity: high
#   solution: >-
#     Replace the model or dataset with one under an acceptable licence, or change the deny list if the
#     licence is acceptable for this use.
#   collections: [minimal, recommended, strict]
deny_license_denied := [result |
	some e in _entries
	bad := [l | some l in object.get(e, "licenses", []); lower(l) in _denied_licences]
	count(bad) > 0
	first := bad[0]
	result := {
		"code": "ai.license_denied",
		"msg": sprintf("%s %s is licensed %s, which policy denies", [e.kind, e.name, first]),
		"component": e.id,
		"location": _location(e),
		"evidence": {"licenses": e.licenses},
		"source": "ai",
	}
]
