"""SBOM extensions that collectors register in ``inventory.sbom_extensions``: they amend the serialized
CycloneDX JSON with what the gate found (the tool surface, provenance).

They live with the SBOM rather than with their collectors, so that building an SBOM from an inventory
(for instance one passed to another process, where functions travel by reference) needs this module, not
the collectors and everything they load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.collect import Inventory


def tool_surface_properties(doc: dict[str, Any], inventory: Inventory) -> None:
    """The pinned tool surface in ``metadata.properties``: one
    ``gate:mcp:tool`` per tool (name and digest), the lock status and the flagged tools."""
    mcp = inventory.mcp
    tools = mcp.get("tools") or []
    if not tools and not mcp.get("lock"):
        return
    props: list[dict[str, str]] = []
    lock = mcp.get("lock") or {}
    if lock.get("status"):
        props.append({"name": "gate:mcp:tools:lock", "value": str(lock["status"])})
    flagged = sorted(t["name"] for t in tools if t.get("flagged"))
    if flagged:
        props.append({"name": "gate:mcp:tools:flagged", "value": ",".join(flagged)})
    for t in sorted(tools, key=lambda t: str(t.get("name"))):
        props.append({"name": "gate:mcp:tool", "value": f"{t['name']} {t['digest']}"})
    metadata = doc.setdefault("metadata", {})
    metadata["properties"] = [*(metadata.get("properties") or []), *props]


def provenance_properties(doc: dict[str, Any], inventory: Inventory) -> None:
    """Each SBOM component with provenance evidence gets properties
    ``gate:provenance:status`` (the overall status), ``gate:provenance:kinds`` and, when verified,
    ``gate:provenance:signer``."""
    props: dict[str, list[dict[str, str]]] = {}
    for ref, ann in inventory.annotations.items():
        items = ann.get("provenance")
        if not items:
            continue
        statuses = [i["status"] for i in items]
        status = "failed" if "failed" in statuses else "verified" if "verified" in statuses else statuses[0]
        entry = [
            {"name": "gate:provenance:status", "value": status},
            {"name": "gate:provenance:kinds", "value": ",".join(sorted({i["kind"] for i in items}))},
        ]
        signers = sorted(
            {
                i["signer"]["identity"]
                for i in items
                if i["status"] == "verified" and i.get("signer") and i["signer"].get("identity")
            }
        )
        if signers:
            entry.append({"name": "gate:provenance:signer", "value": ",".join(signers)})
        props[ref] = entry
    if not props:
        return
    stack: list[Any] = [doc.get("components") or [], [(doc.get("metadata") or {}).get("component") or {}]]
    while stack:
        for comp in stack.pop():
            if not isinstance(comp, dict):
                continue
            extra = props.get(comp.get("bom-ref", ""))
            if extra:
                comp["properties"] = [*comp.get("properties", []), *extra]
            if isinstance(comp.get("components"), list):
                stack.append(comp["components"])
