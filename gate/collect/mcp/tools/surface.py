"""The MCP tool surface: tools, prompts, resources, resource templates and server instructions.

Every extractor (static Python, static TypeScript, saved ``tools/list`` JSON, a launched server) produces
one :class:`Surface`. Items keep the MCP wire form (``definition``: exactly the fields ``tools/list`` and
friends report) and where they came from (``location``: file and line for static extraction).

Digests are SHA-256 over the RFC 8785 canonical JSON of the fields that define an item, so the same
definition has the same digest whichever way it was extracted.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gate.errors import InputError
from gate.model import Location
from gate.record import Record
from gate.safeio import load_json

Kind = Literal["tool", "prompt", "resource", "resource_template"]
KINDS: tuple[Kind, ...] = ("tool", "prompt", "resource", "resource_template")
# Plural keys as used in the evidence document, the lock file and the list results.
PLURAL: dict[Kind, str] = {
    "tool": "tools",
    "prompt": "prompts",
    "resource": "resources",
    "resource_template": "resource_templates",
}
# The fields that define an item (and go into its digest). Anything else (icons, _meta, execution hints)
# is presentation and is not pinned.
DIGEST_FIELDS: dict[Kind, tuple[str, ...]] = {
    "tool": ("name", "title", "description", "inputSchema", "outputSchema", "annotations"),
    "prompt": ("name", "title", "description", "arguments"),
    "resource": ("uri", "name", "title", "description", "mimeType", "annotations"),
    "resource_template": ("uriTemplate", "name", "title", "description", "mimeType", "annotations"),
}
# What identifies an item of each kind across versions.
IDENTITY: dict[Kind, str] = {
    "tool": "name",
    "prompt": "name",
    "resource": "uri",
    "resource_template": "uriTemplate",
}

# Hostile-input bounds: a server with more items than this is refused with a clear error.
MAX_ITEMS = int(os.environ.get("GATE_MAX_TOOLS", "20000"))


@dataclass(frozen=True, repr=False)
class Item(Record):
    """One tool, prompt, resource or resource template in its MCP wire form."""

    kind: Kind
    definition: dict[str, Any]
    location: Location | None = None
    origin: str = "unknown"  # static-python | static-typescript | tools-json | launch
    # Static extraction could not resolve some part exactly (e.g. a parameter type defined elsewhere).
    approximate: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        value = self.definition.get(IDENTITY[self.kind])
        return str(value) if value is not None else ""

    @property
    def name(self) -> str:
        return str(self.definition.get("name") or self.key)

    def pinned(self) -> dict[str, Any]:
        """The fields that are pinned by the lock (absent fields are null, so absence is pinned too)."""
        return {f: self.definition.get(f) for f in DIGEST_FIELDS[self.kind]}

    @functools.cached_property
    def digest(self) -> str:
        return digest_of(self.pinned())


@dataclass(repr=False)
class Surface(Record):
    """The whole surface of one server (or of every server found under a project)."""

    items: list[Item] = field(default_factory=list)
    instructions: str | None = None
    instructions_location: Location | None = None
    origin: str = "unknown"
    server_name: str | None = None
    notes: list[str] = field(default_factory=list)
    # Parts that were not read at all (limits reached): the surface is incomplete, not just approximate.
    incomplete: list[str] = field(default_factory=list)

    def of(self, kind: Kind) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    @property
    def tools(self) -> list[Item]:
        return self.of("tool")

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def sort(self) -> None:
        self.items.sort(key=lambda i: (KINDS.index(i.kind), i.key, i.location or Location("")))

    def instructions_digest(self) -> str | None:
        return digest_of({"instructions": self.instructions}) if self.instructions is not None else None

    def to_wire(self) -> dict[str, Any]:
        """The surface as the MCP list results (a file ``--tools-json`` reads back unchanged)."""
        out: dict[str, Any] = {PLURAL[k]: [i.definition for i in self.of(k)] for k in KINDS}
        out["resourceTemplates"] = out.pop("resource_templates")
        if self.instructions is not None:
            out["instructions"] = self.instructions
        return out


def digest_of(value: Any) -> str:
    import rfc8785  # loaded on first use: importing the surface types does not need it

    try:
        data = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as e:
        # Floats out of the I-JSON range, non-string keys...: pin the repr so the item is still covered.
        data = repr(value).encode("utf-8", "surrogatepass")
        del e
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- saved list results ---------------------------------------------------------------------------------


def _as_list(value: Any, what: str, shown: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"'{what}' must be a list, found {type(value).__name__}", path=shown)
    if len(value) > MAX_ITEMS:
        raise InputError(f"more than {MAX_ITEMS} {what} (set GATE_MAX_TOOLS to raise the limit)", path=shown)
    out = []
    for n, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InputError(f"{what}[{n}] is not an object", path=shown)
        out.append(entry)
    return out


def surface_from_json(data: Any, shown: str) -> Surface:
    """Read saved list results: a ``tools/list`` result (``{"tools": [...]}``), a JSON-RPC response
    wrapping one (``{"result": {...}}``), a bare list of tools, or a combined object with ``tools``,
    ``prompts``, ``resources``, ``resourceTemplates`` and ``instructions``."""
    if isinstance(data, list):
        data = {"tools": data}
    if not isinstance(data, dict):
        raise InputError("expected a tools/list result object or a list of tools", path=shown)
    if isinstance(data.get("result"), dict):
        data = data["result"]
    surface = Surface(origin="tools-json")
    sources: dict[Kind, Any] = {
        "tool": data.get("tools"),
        "prompt": data.get("prompts"),
        "resource": data.get("resources"),
        "resource_template": data.get("resourceTemplates", data.get("resource_templates")),
    }
    if all(v is None for v in sources.values()):
        raise InputError("no 'tools', 'prompts', 'resources' or 'resourceTemplates' list found", path=shown)
    for kind, raw in sources.items():
        for n, entry in enumerate(_as_list(raw, PLURAL[kind], shown)):
            ident = IDENTITY[kind]
            if not isinstance(entry.get(ident), str):
                raise InputError(f"{PLURAL[kind]}[{n}] has no string '{ident}'", path=shown)
            surface.items.append(Item(kind=kind, definition=entry, origin="tools-json"))
    instructions = data.get("instructions")
    if instructions is None and isinstance(data.get("serverInfo"), dict):
        instructions = data.get("serverInfo", {}).get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise InputError("'instructions' must be a string", path=shown)
    surface.instructions = instructions
    surface.sort()
    return surface


def load_surface_json(path: Path, shown: str | None = None) -> Surface:
    name = shown or str(path)
    return surface_from_json(load_json(path, shown=name), name)
