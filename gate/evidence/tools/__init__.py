"""Evidence about the MCP tool surface: tool-poisoning detection (:mod:`gate.evidence.tools.detect`) on
normalised text (:mod:`gate.evidence.tools.normalize`)."""
