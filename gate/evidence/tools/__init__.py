"""Evidence about the MCP tool surface: tool-poisoning detection (:mod:`gate.evidence.tools.detect`) on
normalised text (:mod:`gate.evidence.tools.normalize`) and the reports of ``gate tools check``
(:mod:`gate.evidence.tools.report`).

A second opinion from a local model is a possible extension, never a default and never required: it would
take the items the pattern detectors rate ``medium`` (the ambiguous band), send each normalised text with the
decoded hidden parts to an OpenAI-compatible endpoint on loopback that the user names explicitly, and record
its verdict as a separate ``model-opinion`` finding (at most ``high``, with the model name and the prompt
digest as evidence) so that results stay reproducible and explainable without it. It is not implemented:
the offline, deterministic detectors decide.
"""
