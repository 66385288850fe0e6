# Rules about the traditional dependencies of the target: exact pins, lockfiles, hashes and sources.
# Written as array comprehensions with the lookups hoisted into sets: fast on every engine.
package gate.rules.deps

import rego.v1

# Policy data (bundled defaults in data.json, overridable with --data or policy-data in the configuration).
default _config := {}

_config := data.gate.config.deps

_package_types := {t | some t in object.get(_config, "package_types", ["library", "framework"])}

_dev_scopes := {"dev", "test"}

_non_registry := {"git", "path", "url"}

_allowed_non_registry := {n | some n in object.get(_config, "allow_non_registry", [])}

_lockfile_paths := {lf.path | some lf in input.lockfiles}

# The first element of an array, or a default (see gate.rules.core).
_first(arr, fallback) := arr[0] if {
	count(arr) > 0
} else := fallback

# concat, not sprintf with a literal default: regopy's sprintf has produced invalid JSON there.
_source_url(c) := c.source.url if {
	is_string(c.source.url)
} else := "no URL"

_version(c) := c.version if {
	is_string(c.version)
} else := "no version"

# METADATA
# title: Production dependency not pinned to an exact version
# description: >-
#   A production dependency is declared with a range (or no version at all) and no lockfile fixes it, so
#   the version that gets installed can change between builds without review.
# custom:
#   short_name: unpinned
#   severity: high
#   solution: >-
#     Lock the project (uv lock, poetry lock, npm install) and commit the lockfile, or pin the requirement
#     to an exact version (name==1.2.3).
#   collections: [minimal]
deny_unpinned := [result |
	some c in input.components
	c.pinned == false
	_package_types[c.type]
	not _dev_scopes[c.scope]
	result := {
		"code": "deps.unpinned",
		"msg": sprintf("%s is not pinned to an exact version (%s)", [c.name, _version(c)]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"name": c.name, "version": object.get(c, "version", null), "scope": c.scope},
		"source": object.get(c, "ecosystem", null),
	}
]

# METADATA
# title: Manifest without a lockfile
# description: >-
#   A manifest (pyproject.toml, package.json) declares dependencies but no lockfile locks them, so the
#   transitive dependencies that get installed are whatever the resolver picks on the day of the build.
# custom:
#   short_name: no_lockfile
#   severity: high
#   solution: >-
#     Generate the lockfile next to the manifest (uv lock, poetry lock, npm install --package-lock-only) and
#     commit it.
#   collections: [recommended]
deny_no_lockfile := [result |
	some m in input.manifests
	m.lockfile == null
	result := {
		"code": "deps.no_lockfile",
		"msg": sprintf("%s has no lockfile", [m.path]),
		"component": m.project,
		"location": {"file": m.path},
		"evidence": {"manifest": m.path, "kind": m.kind},
		"source": m.kind,
	}
]

# METADATA
# title: Lockfile entry without a hash
# description: >-
#   A registry package in a lockfile carries no artifact hash, so a tampered or substituted artifact with
#   the same name and version would install without notice.
# custom:
#   short_name: missing_hash
#   severity: medium
#   solution: >-
#     Regenerate the lockfile with hashes (uv and poetry record them by default; pip-compile
#     --generate-hashes for requirements files).
#   collections: [recommended]
warn_missing_hash := [result |
	some c in input.components
	count(c.hashes) == 0
	c.source.kind == "registry"
	locs := [l | some l in c.locations; _lockfile_paths[l.file]]
	count(locs) > 0
	result := {
		"code": "deps.missing_hash",
		"msg": sprintf("%s %s has no hash in %s", [c.name, object.get(c, "version", null), locs[0].file]),
		"component": c.ref,
		"location": locs[0],
		"evidence": {"name": c.name, "version": object.get(c, "version", null), "lockfile": locs[0].file},
		"source": object.get(c, "ecosystem", null),
	}
]

# METADATA
# title: Lockfile entry without a hash (strict)
# description: >-
#   The strict collection turns a missing artifact hash into a blocking finding. It supersedes
#   deps.missing_hash where it is selected.
# custom:
#   short_name: missing_hash_strict
#   severity: high
#   solution: >-
#     Regenerate the lockfile with hashes (uv and poetry record them by default; pip-compile
#     --generate-hashes for requirements files).
#   collections: [strict]
#   supersedes: [deps.missing_hash]
deny_missing_hash_strict := [result |
	some r in warn_missing_hash
	result := {
		"code": "deps.missing_hash_strict",
		"msg": r.msg,
		"component": r.component,
		"location": r.location,
		"evidence": r.evidence,
		"source": r.source,
	}
]

# METADATA
# title: Dependency from a direct URL, git or local path
# description: >-
#   A dependency does not come from a package registry but from a git repository, a URL or a local path.
#   It bypasses the registry's publishing controls (and the gate's vulnerability and provenance data).
# custom:
#   short_name: non_registry_source
#   severity: medium
#   solution: >-
#     Depend on a released version from the registry, or, when the source is trusted, list the package
#     name in policy data gate.config.deps.allow_non_registry.
#   collections: [recommended]
warn_non_registry_source := [result |
	some c in input.components
	_package_types[c.type]
	_non_registry[c.source.kind]
	not _allowed_non_registry[c.name]
	result := {
		"code": "deps.non_registry_source",
		"msg": concat("", [c.name, " comes from a ", c.source.kind, " source (", _source_url(c), ")"]),
		"component": c.ref,
		"location": _first(c.locations, null),
		"evidence": {"name": c.name, "source": c.source},
		"source": object.get(c, "ecosystem", null),
	}
]
