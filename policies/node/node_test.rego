package gate.rules.node_test

import rego.v1

import data.gate.rules.node

# Overrides replace whole keys in both engines (object.union merges nested objects in OPA, not in regopy).
_component(overrides) := object.union(object.remove(_defaults, object.keys(overrides)), overrides)

_defaults := {
	"ref": "pkg:npm/debug@4.3.4",
	"name": "debug",
	"version": "4.3.4",
	"type": "library",
	"ecosystem": "npm",
	"scope": "required",
	"pinned": true,
	"hashes": {"sha512": ["3d1585"]},
	"source": {"kind": "registry", "registry": "https://registry.npmjs.org", "url": "https://registry.npmjs.org/debug/-/debug-4.3.4.tgz"},
	"locations": [{"file": "package-lock.json", "line": 30}],
}

_launch(server, command, pinned) := {
	"command": command,
	"config": ".mcp.json",
	"server": server,
	"pinned": pinned,
	"launcher": "npx",
	"spec": "x",
}

_doc := {
	"components": [
		_component({}),
		_component({"ref": "pkg:npm/core-js@3.37.1", "name": "core-js", "version": "3.37.1", "install_script": true}),
		_component({"ref": "pkg:npm/esbuild@0.21.5", "name": "esbuild", "version": "0.21.5", "install_script": true, "scope": "dev"}),
		_component({"ref": "pkg:npm/sharp@0.33.0", "name": "sharp", "version": "0.33.0", "install_script": true}),
		_component({"ref": "pkg:npm/evil@1.0.0", "name": "evil", "version": "1.0.0", "source": {"kind": "registry", "registry": "https://registry.npmjs.org.evil.example"}}),
		_component({"ref": "pkg:npm/mirror@1.0.0", "name": "mirror", "version": "1.0.0", "source": {"kind": "registry", "registry": "https://npm.internal.example/api/npm/"}}),
		_component({"ref": "pkg:npm/tarball@1.0.0?download_url=x", "name": "tarball", "version": "1.0.0", "hashes": {}, "integrity_missing": true, "source": {"kind": "url", "url": "https://files.example/tarball-1.0.0.tgz"}}),
		_component({"ref": "pkg:npm/devonly@1.0.0", "name": "devonly", "scope": "dev", "source": {"kind": "registry", "registry": "https://evil.example"}}),
		_component({"ref": "pkg:npm/yarned@1.0.0", "name": "yarned", "source": {"kind": "registry", "registry": "https://registry.yarnpkg.com/"}}),
		_component({"ref": "pkg:npm/nohash@1.0.0", "name": "nohash", "hashes": {}, "integrity_missing": true}),
		_component({"ref": "pkg:npm/walked@1.0.0", "name": "walked", "hashes": {}, "integrity_missing": true, "installed": true, "source": {"kind": "url", "url": "https://files.example/w.tgz"}}),
		_component({"ref": "pkg:npm/mcp-remote", "name": "mcp-remote", "version": null, "type": "application", "pinned": false, "launch": _launch("remote", "npx -y mcp-remote@latest", false)}),
		_component({"ref": "pkg:npm/%40modelcontextprotocol/server-filesystem@2025.8.21", "name": "@modelcontextprotocol/server-filesystem", "type": "application", "launch": _launch("fs", "npx -y @modelcontextprotocol/server-filesystem@2025.8.21", true)}),
		_component({"ref": "pkg:docker/github/github-mcp-server@v1.0", "name": "github/github-mcp-server", "ecosystem": "docker", "type": "application", "pinned": false, "source": {"kind": "registry", "registry": "ghcr.io"}, "launch": _launch("gh", "docker run -i ghcr.io/github/github-mcp-server:v1.0", false)}),
	],
	"lockfiles": [{"path": "package-lock.json", "kind": "package-lock", "project": "pkg:npm/demo@1.0.0", "packages": 10}],
}

_codes(results) := {r.component | some r in results}

test_install_script_in_production_warned if {
	results := node.warn_install_script with input as _doc
	_codes(results) == {"pkg:npm/core-js@3.37.1", "pkg:npm/sharp@0.33.0"}
	some r in results
	r.code == "node.install_script"
	r.location == {"file": "package-lock.json", "line": 30}
}

test_install_script_of_dev_dependency_not_warned if {
	results := node.warn_install_script with input as _doc
	every r in results {
		r.component != "pkg:npm/esbuild@0.21.5"
	}
}

test_registry_outside_the_allowed_list_denied if {
	# Bundled data: registry.npmjs.org and registry.yarnpkg.com.
	results := node.deny_registry_not_allowed with input as _doc
	_codes(results) == {
		"pkg:npm/evil@1.0.0",
		"pkg:npm/mirror@1.0.0",
		"pkg:npm/tarball@1.0.0?download_url=x",
		"pkg:npm/walked@1.0.0",
	}
	some r in results
	r.component == "pkg:npm/evil@1.0.0"
	r.code == "node.registry_not_allowed"
	r.evidence.registry == "https://registry.npmjs.org.evil.example"
}

test_allowed_registry_matches_whole_path_segments if {
	allowed := {"https://registry.npmjs.org", "https://npm.internal.example/api/npm/"}
	node.url_allowed("https://registry.npmjs.org/", allowed)
	node.url_allowed("https://npm.internal.example/api/npm", allowed)
	node.url_allowed("https://npm.internal.example/api/npm/x/-/x-1.0.0.tgz", allowed)
	not node.url_allowed("https://registry.npmjs.org.evil.example", allowed)
	not node.url_allowed("https://npm.internal.example/api/npmevil", allowed)
}

test_unpinned_launch_denied if {
	results := node.deny_unpinned_launch with input as _doc
	_codes(results) == {"pkg:npm/mcp-remote", "pkg:docker/github/github-mcp-server@v1.0"}
	some r in results
	r.component == "pkg:npm/mcp-remote"
	r.code == "node.unpinned_launch"
	r.evidence.server == "remote"
	r.evidence.config == ".mcp.json"
}

test_integrity_missing_warned_once if {
	# nohash is a registry entry without hashes: deps.missing_hash reports it, this rule does not repeat it.
	results := node.warn_integrity_missing with input as _doc with data.gate.rules.deps.warn_missing_hash as [{"component": "pkg:npm/nohash@1.0.0"}]
	_codes(results) == {"pkg:npm/tarball@1.0.0?download_url=x"}
}

test_integrity_missing_without_deps_rules if {
	results := node.warn_integrity_missing with input as _doc with data.gate.rules.deps.warn_missing_hash as []
	_codes(results) == {"pkg:npm/tarball@1.0.0?download_url=x", "pkg:npm/nohash@1.0.0"}
}

test_no_results_on_an_empty_document if {
	count(node.deny_unpinned_launch) == 0 with input as {"components": []}
	count(node.warn_install_script) == 0 with input as {"components": []}
}
