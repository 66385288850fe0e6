"""ML-BOM parts of the CycloneDX 1.6 SBOM that cyclonedx-python-lib does not model: ``modelCard`` on
``machine-learning-model`` components and ``data`` on ``data`` components.

Registered by the AI collector as an ``inventory.sbom_extensions`` function: it amends the serialized JSON
in place; the result validates with the strict 1.6 schema (``JsonStrictValidator``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.collect import Inventory

_TASKS = {"embedding": "feature-extraction", "dataset": None}


def _walk_components(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    stack = list(doc.get("components", []))
    meta = doc.get("metadata", {}).get("component")
    if isinstance(meta, dict):
        stack.append(meta)
    while stack:
        c = stack.pop()
        if isinstance(c, dict):
            yield c
            stack.extend(c.get("components", []))


def _prop(name: str, value: Any) -> dict[str, str] | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    return {"name": name, "value": str(value)}


def model_card(ai: dict[str, Any], name: str) -> dict[str, Any]:
    details = ai.get("details") or {}
    params: dict[str, Any] = {}
    task = _TASKS.get(ai.get("kind", ""))
    if task:
        params["task"] = task
    arch = details.get("architecture")
    if arch:
        params["architectureFamily"] = str(arch)
    fmt = ai.get("format")
    if ai.get("kind") == "embedding":
        params["inputs"] = [{"format": "text"}]
        params["outputs"] = [{"format": "vector"}]
    scan = ai.get("pickle_scan") or {}
    props = [
        _prop("gate:ai:kind", ai.get("kind")),
        _prop("gate:ai:source", ai.get("source")),
        _prop("gate:ai:format", fmt),
        _prop("gate:ai:revision", ai.get("revision")),
        _prop("gate:ai:pinned", bool(ai.get("pinned_revision"))),
        _prop("gate:ai:env-override", ai.get("env_override")),
        _prop("gate:ai:requested", ai.get("requested")),
        _prop("gate:ai:implicit", ai.get("implicit")),
        _prop("gate:ai:provider", ai.get("provider")),
        _prop("gate:ai:library", ", ".join(ai.get("library") or [])),
        _prop("gate:ai:pickle-scan", scan.get("status")),
        _prop("gate:ai:resolved-revision", ai.get("resolved_revision")),
        _prop("gate:ai:quantization", details.get("quantization")),
        _prop("gate:ai:parameters", details.get("parameters")),
        _prop("gate:ai:tensors", details.get("tensors")),
    ]
    card: dict[str, Any] = {}
    if params:
        card["modelParameters"] = params
    limits = []
    if scan.get("dangerous"):
        limits.append("Pickle-based file imports dangerous globals: " + ", ".join(scan["dangerous"][:10]))
    if ai.get("problems"):
        limits += [str(p) for p in ai["problems"][:5]]
    if limits:
        card["considerations"] = {"technicalLimitations": limits}
    card["properties"] = [p for p in props if p is not None]
    return card


def data_entries(ai: dict[str, Any], component: dict[str, Any]) -> list[dict[str, Any]]:
    entry: dict[str, Any] = {"type": "dataset", "name": component.get("name", "dataset")}
    url = next((r.get("url") for r in component.get("externalReferences", []) if r.get("url")), None)
    if url:
        entry["contents"] = {"url": url}
    props = [
        p
        for p in (
            _prop("gate:ai:source", ai.get("source")),
            _prop("gate:ai:format", ai.get("format")),
            _prop("gate:ai:revision", ai.get("revision")),
            _prop("gate:ai:env-override", ai.get("env_override")),
        )
        if p is not None
    ]
    if props and "contents" not in entry:
        entry["contents"] = {"properties": props}
    desc = component.get("description")
    if desc:
        entry["description"] = desc
    return [entry]


def extend(doc: dict[str, Any], inventory: Inventory) -> None:
    """Add ``modelCard`` / ``data`` to the SBOM components that carry AI evidence."""
    by_ref = {c.ref: c.extra.get("ai") for c in inventory.components if isinstance(c.extra.get("ai"), dict)}
    for comp in _walk_components(doc):
        ai = by_ref.get(comp.get("bom-ref", ""))
        if ai is None:
            continue
        if comp.get("type") == "machine-learning-model" and "modelCard" not in comp:
            comp["modelCard"] = model_card(ai, comp.get("name", ""))
        elif comp.get("type") == "data" and "data" not in comp:
            comp["data"] = data_entries(ai, comp)
