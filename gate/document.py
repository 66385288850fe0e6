"""The evidence document: the versioned JSON that is the Rego ``input`` (schema ``gate/input/v1``).

Flat, easy-to-query views: ``input.components[]`` (each with its annotations: vulnerabilities,
provenance, ...), ``input.projects[]``, ``input.services[]``, ``input.mcp`` (server identity, transports,
tools, posture), ``input.collectors[]`` (each collector's status and errors), ``input.manifests[]`` and
``input.lockfiles[]``. Later collectors add top-level sections (``vulnerabilities``, ``provenance``, ``ai``)
and component annotations; v1 consumers ignore keys they do not know. The JSON Schema is
``gate/schema/input-v1.schema.json``; the reference is ``docs/input.md``.
"""

from __future__ import annotations

from typing import Any

from gate import INPUT_SCHEMA, __version__
from gate.clock import iso
from gate.collect import Inventory


def in_scope(inventory: Inventory) -> list[Any]:
    """Components that belong in the production SBOM (all of them with ``--include-dev``)."""
    comps = inventory.components
    if not inventory.settings.include_dev:
        comps = [c for c in comps if c.production]
    return sorted(comps, key=lambda c: c.ref)


def build_document(inventory: Inventory) -> dict[str, Any]:
    s = inventory.settings
    components = []
    for c in in_scope(inventory):
        entry = c.to_json()
        entry.update(inventory.annotations.get(c.ref, {}))
        components.append(entry)
    excluded = [c for c in inventory.components if not c.production] if not s.include_dev else []
    services = sorted(inventory.services, key=lambda x: x.ref)
    mcp: dict[str, Any] = {
        "server": inventory.server.to_json() if inventory.server else None,
        "transports": [sv.to_json() for sv in services if sv.kind == "mcp-transport"],
    }
    mcp.update(inventory.mcp)
    doc: dict[str, Any] = {
        "schema": INPUT_SCHEMA,
        "gate": {"version": __version__},
        "generated": iso(),
        "target": {
            "name": inventory.root.name,
            "kind": "directory" if inventory.root.is_dir() else "file",
        },
        "settings": {
            "include_dev": s.include_dev,
            "include_tests": s.include_tests,
            "network": s.network,
            "config": s.config.path,
        },
        "mcp": mcp,
        "projects": [p.to_json() for p in sorted(inventory.projects, key=lambda p: p.ref)],
        "components": components,
        "excluded": {
            "count": len(excluded),
            "scopes": sorted({c.scope for c in excluded}),
        },
        "services": [sv.to_json() for sv in services],
        "manifests": [m.to_json() for m in sorted(inventory.manifests, key=lambda m: m.path)],
        "lockfiles": [lf.to_json() for lf in sorted(inventory.lockfiles, key=lambda lf: lf.path)],
        "collectors": [r.to_json() for r in sorted(inventory.runs, key=lambda r: r.name)],
    }
    for key in sorted(inventory.sections):
        if key in doc:
            raise RuntimeError(f"evidence section {key!r} collides with a core key")
        doc[key] = inventory.sections[key]
    return doc
