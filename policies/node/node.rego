# Rules about Node.js dependencies and the packages MCP clients launch: install scripts, registries,
# unpinned launch commands and lockfile integrity. Array comprehensions with hoisted lookups: fast on
# every engine.
package gate.rules.node

import rego.v1

default _node_config := {}

_node_config := data.gate.config.node

_allowed_registries := {_trim(r) | some r in object.get(data.gate.config, "allowed_registries", [])}

_allowed_install_scripts := {n | some n in object.get(_node_config, "allowed_install_scripts", [])}

_dev_scopes := {"dev", "test"}

_trim(url) := trim_right(url, "/")

# Components that deps.missing_hash already reports (registry entries without a hash): not repeated here.
_hash_reported := {r.component | some r in data.gate.rules.deps.warn_missing_hash}

_first(arr, fallback) := arr[0] if {
	count(arr) > 0
} else := fallback

_version(c) := c.version if {
	is_string(c.version)
} else := "no version"

# A URL is from an allowed registry when it is one, or lies under one (not merely shares a prefix).
url_allowed(url, allowed) if {
	some r in allowed
	_boundary(_trim(url), _trim(r))
}

_boundary(url, r) if url == r

_boundary(url, r) if startswith(url, concat("", [r, "/"]))

_registry_url(c) := c.source.registry if {
	c.source.kind == "registry"
	is_string(c.source.registry)
}

_registry_url(c) := c.source.url if {
	c.source.kind == "url"
	is_string(c.source.url)
}

# METADATA
# title: Production dependency runs an install script
# description: >-
#   The lockfile records that a production npm package runs a preinstall, install or postinstall script
#   (hasInstallScript, requiresBuild, a binding.gyp). Install scripts run with the installing user's rights
#   on every install; they are how most malicious npm packages act.
# custom:
#   short_name: install_script
#   severity: medium
#   solution: >-
#     Install with --ignore-scripts where the package does not need its script, or review the script and
#     list the package in policy data gate.config.node.allowed_install_scripts.
#   collections: [recommended, strict]
warn_install_script := [result |
	some c in input.components
	c.ecosystem == "npm"
	object.get(c, "install_script", false) == true
	not _dev_scopes[c.scope]
	not _allowed_install_scripts[c.name]
	result := {
		"code": "node.install_script",
		"msg": sprintf("%s %s runs an install script", [c.name, _version(c)]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"name": c.name, "version": object.get(c, "version", null), "install_script": true},
		"source": "npm",
	}
]

# METADATA
# title: npm package from outside the allowed registries
# description: >-
#   A production npm package (or a package an MCP client launches) was resolved from a registry or tarball
#   URL that is not in the allowed list: a mirror, a typo-squatted host or an attacker's registry can serve
#   anything under a trusted name.
# custom:
#   short_name: registry_not_allowed
#   severity: high
#   solution: >-
#     Resolve the package from an allowed registry (regenerate the lockfile with the right registry in
#     .npmrc), or add the registry to policy data gate.config.allowed_registries.
#   collections: [minimal, recommended, strict]
deny_registry_not_allowed := [result |
	some c in input.components
	c.ecosystem == "npm"
	not _dev_scopes[c.scope]
	url := _registry_url(c)
	not url_allowed(url, _allowed_registries)
	result := {
		"code": "node.registry_not_allowed",
		"msg": sprintf("%s %s comes from %s, which is not an allowed registry", [c.name, _version(c), url]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"name": c.name, "registry": url, "allowed": sort([r | some r in _allowed_registries])},
		"source": "npm",
	}
]

# METADATA
# title: MCP server launched from an unpinned package
# description: >-
#   An MCP client configuration or registry manifest starts a server from a package without pinning it
#   (npx pkg@latest, a range, no version, an image tag without digest): every start can fetch different
#   code, and a compromised release runs on the next launch.
# custom:
#   short_name: unpinned_launch
#   severity: high
#   solution: >-
#     Pin the exact version (npx -y pkg@1.2.3, uvx pkg==1.2.3) or the image digest
#     (image@sha256:...), and update it through review.
#   collections: [minimal, recommended, strict]
deny_unpinned_launch := [result |
	some c in input.components
	launch := object.get(c, "launch", null)
	is_object(launch)
	launch.pinned == false
	result := {
		"code": "node.unpinned_launch",
		"msg": sprintf("MCP server %s is launched from an unpinned package: %s", [launch.server, launch.command]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"command": launch.command, "config": launch.config, "server": launch.server, "spec": object.get(launch, "spec", null)},
		"source": object.get(c, "ecosystem", null),
	}
]

# METADATA
# title: npm lockfile entry without integrity
# description: >-
#   A production npm package's lockfile entry records no integrity digest, so npm, pnpm, yarn or bun cannot
#   check that the downloaded tarball is the one that was locked.
# custom:
#   short_name: integrity_missing
#   severity: medium
#   solution: >-
#     Regenerate the lockfile from the registry (npm install --package-lock-only) so that every entry
#     records its integrity.
#   collections: [recommended, strict]
warn_integrity_missing := [result |
	some c in input.components
	c.ecosystem == "npm"
	object.get(c, "integrity_missing", false) == true
	object.get(c, "installed", false) == false
	not _dev_scopes[c.scope]
	{"registry", "url"}[c.source.kind]
	not _hash_reported[c.ref]
	result := {
		"code": "node.integrity_missing",
		"msg": sprintf("%s %s has no integrity in its lockfile", [c.name, _version(c)]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"name": c.name, "version": object.get(c, "version", null), "source": c.source},
		"source": "npm",
	}
]
