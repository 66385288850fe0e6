"""JSON Schemas of the gate's public documents (input v1, report v1)."""
