package gate.rules.deps_test

import rego.v1

import data.gate.rules.deps

# Overrides replace whole keys in both engines (object.union merges nested objects in OPA, not in regopy).
_component(overrides) := object.union(object.remove(_defaults, object.keys(overrides)), overrides)

_defaults := {
	"ref": "pkg:pypi/httpx@0.28.1",
	"name": "httpx",
	"version": "0.28.1",
	"type": "library",
	"ecosystem": "pypi",
	"scope": "required",
	"pinned": true,
	"hashes": {"sha256": ["d909fcccc110f8c7faf814ca82a9a4d816bc5a6dbfea25d6591d6985b8ba59ad"]},
	"source": {"kind": "registry", "registry": "https://pypi.org/simple"},
	"locations": [{"file": "uv.lock", "line": 42}],
}

_doc := {
	"components": [
		_component({}),
		_component({"ref": "pkg:pypi/anyio", "name": "anyio", "version": ">=4", "pinned": false, "hashes": {}, "locations": [{"file": "requirements.txt", "line": 3}]}),
		_component({"ref": "pkg:pypi/pytest", "name": "pytest", "scope": "dev", "pinned": false}),
		_component({"ref": "pkg:pypi/idna@3.10", "name": "idna", "hashes": {}, "locations": [{"file": "uv.lock", "line": 80}]}),
		_component({"ref": "gate:abc", "name": "mylib", "source": {"kind": "git", "url": "https://github.com/acme/mylib.git"}, "hashes": {}}),
		_component({"ref": "gate:def", "name": "localpkg", "source": {"kind": "path", "url": "../localpkg"}, "hashes": {}}),
	],
	"manifests": [
		{"path": "pyproject.toml", "kind": "pyproject", "project": "pkg:pypi/server", "lockfile": "uv.lock"},
		{"path": "tools/pyproject.toml", "kind": "pyproject", "project": "pkg:pypi/tools", "lockfile": null},
	],
	"lockfiles": [{"path": "uv.lock", "kind": "uv", "project": "pkg:pypi/server", "packages": 4}],
}

test_unpinned_production_dependency_denied if {
	results := deps.deny_unpinned with input as _doc
	count(results) == 1
	some r in results
	r.code == "deps.unpinned"
	r.component == "pkg:pypi/anyio"
	r.location == {"file": "requirements.txt", "line": 3}
}

test_dev_dependency_not_reported_as_unpinned if {
	results := deps.deny_unpinned with input as _doc
	every r in results {
		r.component != "pkg:pypi/pytest"
	}
}

test_manifest_without_lockfile_denied if {
	results := deps.deny_no_lockfile with input as _doc
	count(results) == 1
	some r in results
	r.location.file == "tools/pyproject.toml"
	r.component == "pkg:pypi/tools"
}

test_lockfile_entry_without_hash_warned if {
	results := deps.warn_missing_hash with input as _doc
	refs := {r.component | some r in results}
	refs == {"pkg:pypi/idna@3.10"}
	some r in results
	r.location == {"file": "uv.lock", "line": 80}
}

test_strict_variant_denies_the_same_entries if {
	results := deps.deny_missing_hash_strict with input as _doc
	{r.code | some r in results} == {"deps.missing_hash_strict"}
	count(results) == 1
}

test_non_registry_sources_warned if {
	results := deps.warn_non_registry_source with input as _doc
	{r.component | some r in results} == {"gate:abc", "gate:def"}
}

test_non_registry_allow_list_from_data if {
	results := deps.warn_non_registry_source with input as _doc
		with data.gate.config.deps.allow_non_registry as ["mylib"]
	{r.component | some r in results} == {"gate:def"}
}

test_clean_project_passes if {
	clean := {"components": [_component({})], "manifests": [], "lockfiles": [{"path": "uv.lock"}]}
	count(deps.deny_unpinned) + count(deps.deny_no_lockfile) + count(deps.warn_missing_hash) == 0 with input as clean
}

test_local_model_files_are_not_dependencies_from_paths if {
	doc := {"components": [
		_component({"ref": "gate:model", "name": "models/encoder.onnx", "type": "machine-learning-model", "source": {"kind": "path"}}),
		_component({"ref": "gate:lib", "name": "locallib", "source": {"kind": "path"}}),
	]}
	results := deps.warn_non_registry_source with input as doc
	{r.component | some r in results} == {"gate:lib"}
	{r.msg | some r in results} == {"locallib comes from a path source (no URL)"}
}
