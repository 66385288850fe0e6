# Rules about the MCP tool surface (input.mcp.tools, prompts, resources, resource_templates, instructions,
# lock and client_identity_diff, written by gate.collect.mcp.tools). Python extracts the surface, pins it
# against mcp-tools.lock.json and runs the poisoning detectors; these rules decide what blocks. The
# severity at which a tool is flagged and the detectors that count as invisible text are policy data in
# data.gate.config.tools.
package gate.rules.tools

import rego.v1

_defaults := {
	"flag_severity": "high",
	"invisible_detectors": ["unicode-tags", "bidi-control", "invisible-characters"],
	"warn_missing_lock": true,
}

_given := data.gate.config.tools if {
	is_object(data.gate.config.tools)
} else := {}

_cfg := object.union(_defaults, _given)

_ranks := {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

_threshold := _ranks[_cfg.flag_severity]

_mcp := object.get(input, "mcp", {})

_items := array.concat(
	array.concat(object.get(_mcp, "tools", []), object.get(_mcp, "prompts", [])),
	array.concat(object.get(_mcp, "resources", []), object.get(_mcp, "resource_templates", [])),
)

_instructions := [i |
	i := object.get(_mcp, "instructions", null)
	is_object(i)
]

_lock := object.get(_mcp, "lock", {})

_ref(kind, name) := concat("", ["mcp:", kind, "/", name])

_strongest(findings) := [f |
	some f in findings
	_ranks[f.severity] >= _threshold
]

_summary(fs) := concat("; ", [concat("", [f.severity, " ", f.detector, " in ", f.field]) | some f in fs])

# METADATA
# title: Tool definition carries a poisoning finding
# description: >-
#   A tool, prompt or resource of the MCP server (or the server instructions) has a finding at or above
#   flag_severity (high by default): hidden or injected instructions, secrecy towards the user, requests
#   for secrets or the conversation, exfiltration channels, shadowing of other tools, obfuscated payloads.
# custom:
#   short_name: flagged
#   severity: high
#   solution: >-
#     Read the evidence (field, matched span, decoded hidden text). Remove the text from the definition; if
#     it is a false positive, add a time-limited exception for tools.flagged naming the tool.
#   collections: [minimal, recommended, strict]
deny_flagged := array.concat(
	[result |
		some item in _items
		fs := _strongest(object.get(item, "findings", []))
		count(fs) > 0
		result := {
			"code": "tools.flagged",
			"msg": concat("", [item.kind, " ", item.name, " is flagged: ", _summary(fs)]),
			"component": _ref(item.kind, item.name),
			"location": object.get(item, "location", null),
			"evidence": {"findings": fs, "digest": object.get(item, "digest", null)},
			"source": "mcp-tools",
		}
	],
	[result |
		some instr in _instructions
		fs := _strongest(object.get(instr, "findings", []))
		count(fs) > 0
		result := {
			"code": "tools.flagged",
			"msg": concat("", ["server instructions are flagged: ", _summary(fs)]),
			"component": "mcp:instructions",
			"location": object.get(instr, "location", null),
			"evidence": {"findings": fs, "digest": object.get(instr, "digest", null)},
			"source": "mcp-tools",
		}
	],
)

_invisible(findings) := [f |
	some f in findings
	f.detector in _cfg.invisible_detectors
]

# METADATA
# title: Invisible characters in the tool surface
# description: >-
#   A name, description, parameter, enum value, prompt or the server instructions contain characters a
#   reviewer cannot see but the model reads: Unicode tag characters, bidirectional controls, zero-width or
#   private-use characters.
# custom:
#   short_name: invisible_text
#   severity: high
#   solution: Remove the invisible characters; the evidence shows where they are and what they spell.
#   collections: [minimal, recommended, strict]
deny_invisible_text := array.concat(
	[result |
		some item in _items
		fs := _invisible(object.get(item, "findings", []))
		count(fs) > 0
		result := {
			"code": "tools.invisible_text",
			"msg": concat("", [item.kind, " ", item.name, " contains invisible characters in ", concat(", ", {f.field | some f in fs})]),
			"component": _ref(item.kind, item.name),
			"location": object.get(item, "location", null),
			"evidence": {"findings": fs},
			"source": "mcp-tools",
		}
	],
	[result |
		some instr in _instructions
		fs := _invisible(object.get(instr, "findings", []))
		count(fs) > 0
		result := {
			"code": "tools.invisible_text",
			"msg": "server instructions contain invisible characters",
			"component": "mcp:instructions",
			"location": object.get(instr, "location", null),
			"evidence": {"findings": fs},
			"source": "mcp-tools",
		}
	],
)

_change_msg(c) := concat("", [c.kind, " ", c.name, " was renamed from ", c.old_name, " since the lock"]) if {
	c.change == "renamed"
} else := concat("", [c.kind, " ", c.name, " ", c.change, " since the lock"])

# METADATA
# title: Tool surface drifted from the approved lock
# description: >-
#   A tool, prompt, resource or the server instructions were added, removed, renamed or changed (any
#   pinned field: name, title, description, input and output schema, annotations) since
#   mcp-tools.lock.json was written. A definition that changes after approval is how rug pulls work.
# custom:
#   short_name: drift
#   severity: high
#   solution: >-
#     Review the field-level diff (gate tools diff). If the change is intended, approve it by running
#     gate tools lock and committing mcp-tools.lock.json.
#   collections: [minimal, recommended, strict]
deny_drift := [result |
	_lock.status == "drift"
	some c in object.get(_lock, "changes", [])
	result := {
		"code": "tools.drift",
		"msg": _change_msg(c),
		"component": _ref(c.kind, c.name),
		"location": object.get(c, "location", {"file": _lock.path}),
		"evidence": {"change": c.change, "fields": object.get(c, "fields", []), "old_digest": c.old_digest, "new_digest": c.new_digest},
		"source": "mcp-tools",
	}
]

# METADATA
# title: No approved lock of the tool surface
# description: >-
#   The server exposes tools but there is no mcp-tools.lock.json: nothing pins the approved definitions, so
#   a later change to a description or schema would pass unnoticed.
# custom:
#   short_name: unlocked
#   severity: medium
#   solution: Run gate tools lock and commit mcp-tools.lock.json.
#   collections: [recommended, strict]
warn_unlocked := [result |
	_cfg.warn_missing_lock
	_lock.status == "missing"
	count(_items) > 0
	result := {
		"code": "tools.unlocked",
		"msg": concat("", ["no tool-surface lock (", _lock.path, ") for ", format_int(count(_items), 10), " tools, prompts and resources"]),
		"component": "mcp:surface",
		"location": null,
		"evidence": {"lock": _lock.path},
		"source": "mcp-tools",
	}
]

# METADATA
# title: The server shows different tools to different clients
# description: >-
#   Listing the launched server with two client identities (clientInfo) gave different surfaces: a server
#   that tailors its tools to the client can show reviewers one thing and agents another.
# custom:
#   short_name: client_identity
#   severity: high
#   solution: Find why the server branches on the client identity and remove it.
#   collections: [minimal, recommended, strict]
deny_client_identity := [result |
	some c in object.get(_mcp, "client_identity_diff", [])
	result := {
		"code": "tools.client_identity",
		"msg": concat("", [c.kind, " ", c.name, " ", c.change, " between client identities ", concat(" and ", object.get(c, "identities", []))]),
		"component": _ref(c.kind, c.name),
		"location": object.get(c, "location", null),
		"evidence": {"change": c.change, "fields": object.get(c, "fields", [])},
		"source": "mcp-tools",
	}
]
