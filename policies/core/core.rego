# Rules about the gate's own evidence: a collector that failed or could not finish blocks the release,
# because the part of the evidence it should have produced is missing (the gate never fails open).
package gate.rules.core

import rego.v1

# The first element of an array, or a default. (object.get with an index into an empty array crashes the
# embedded engine, so indexing goes through this helper.)
_first(arr, fallback) := arr[0] if {
	count(arr) > 0
} else := fallback

# METADATA
# title: An evidence collector failed
# description: >-
#   A collector crashed, could not run, or could not reach the data it needs. The part of the evidence it
#   should have produced is missing, so nothing can be said about it: the gate blocks instead of passing.
# custom:
#   short_name: collector_failed
#   severity: high
#   solution: >-
#     Read the collector's error in the evidence, fix the input file or the environment (network, database,
#     permissions) and run the gate again. Do not waive this rule with an exception.
#   collections: [minimal]
deny_collector_failed := [result |
	some run in input.collectors
	run.status == "failed"
	result := {
		"code": "core.collector_failed",
		"msg": sprintf("collector %s failed: %s", [run.name, object.get(_first(run.errors, {}), "message", "no error message")]),
		"component": null,
		"location": _first(run.errors, null),
		"evidence": {"collector": run.name, "status": run.status, "errors": run.errors},
		"source": run.name,
	}
]

# METADATA
# title: An evidence collector is incomplete
# description: >-
#   A collector ran but could not finish: part of its data was unreachable, unparseable or timed out.
#   Evidence it did not produce cannot be judged, so the gate blocks.
# custom:
#   short_name: collector_incomplete
#   severity: high
#   solution: >-
#     Read the collector's errors in the evidence; fix or remove the unreadable parts, allow the network if
#     the collector needs it, or raise its timeout, then run the gate again.
#   collections: [minimal]
deny_collector_incomplete := [result |
	some run in input.collectors
	run.status == "incomplete"
	result := {
		"code": "core.collector_incomplete",
		"msg": sprintf("collector %s is incomplete: %s", [run.name, object.get(_first(run.errors, {}), "message", object.get(run, "reason", "no reason given"))]),
		"component": null,
		"location": _first(run.errors, null),
		"evidence": {"collector": run.name, "status": run.status, "errors": run.errors},
		"source": run.name,
	}
]
