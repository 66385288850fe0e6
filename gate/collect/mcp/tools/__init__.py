"""The MCP tool surface: extraction (static source, saved list JSON, a launched server), the approved lock
and its diff, and the poisoning findings, gathered into ``input.mcp``.

``ToolsCollector`` fills:

- ``inventory.mcp["tools"]`` (and ``["prompts"]``, ``["resources"]``): one entry per item with its digest,
  definition, findings, ``flagged``, lock status and source location;
- ``inventory.mcp["instructions"]``: the server instructions with their findings;
- ``inventory.mcp["lock"]``: ``{path, status: missing|match|drift, changes}``;
- ``inventory.mcp["client_identity_diff"]``: differences between two client identities (launch only);
- ``inventory.mcp["tools_source"]``: how the surface was obtained, with launch evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.collect import Inventory, Settings, walk_files
from gate.errors import GateError, InputError, UsageError
from gate.model import CollectorError, CollectorRun, Location
from gate.record import Record
from gate.sbom.extensions import tool_surface_properties

if TYPE_CHECKING:
    from gate.collect.mcp.tools.lock import Change
    from gate.collect.mcp.tools.surface import Item, Surface

log = logging.getLogger(__name__)

LOCK_NAME = "mcp-tools.lock.json"
PY_SUFFIXES = {".py"}
TS_SUFFIXES = {".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", ".tsx"}
MAX_SOURCE_FILES = 5000


@dataclass(repr=False)
class Extraction(Record):
    surface: Surface
    source: dict[str, Any] = field(default_factory=dict)
    identity_diff: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: bool = False


def _source_files(root: Path, *, excludes: tuple[str, ...], include_tests: bool) -> Iterator[Path]:
    """The Python and TypeScript/JavaScript files under ``root`` that static extraction reads."""
    for path in walk_files(root, excludes=excludes, include_tests=include_tests):
        suffix = path.suffix.lower()
        if suffix not in PY_SUFFIXES and suffix not in TS_SUFFIXES:
            continue
        if path.name.endswith((".d.ts", ".min.js")):
            continue
        yield path


def extract_static(root: Path, *, excludes: tuple[str, ...] = (), include_tests: bool = False) -> Surface:
    """Every tool, prompt, resource and instruction declared in the source under ``root``."""
    from collections.abc import Callable

    from gate.collect.mcp.tools.surface import Surface

    # The extractors are loaded with the first file of their language.
    extract_py: Callable[[Path, str], Surface] | None = None
    extract_ts: Callable[[Path, str], Surface] | None = None
    ts_missing = False
    merged = Surface(origin="static")
    base = root if root.is_dir() else root.parent
    count = 0
    for path in _source_files(root, excludes=excludes, include_tests=include_tests):
        suffix = path.suffix.lower()
        count += 1
        if count > MAX_SOURCE_FILES:
            merged.incomplete.append(f"more than {MAX_SOURCE_FILES} source files: the rest were not read")
            break
        try:
            shown = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            shown = path.as_posix()
        try:
            if suffix in PY_SUFFIXES:
                if extract_py is None:
                    from gate.collect.mcp.tools.static_python import extract_file

                    extract_py = extract_file
                part = extract_py(path, shown)
            else:
                if extract_ts is None and not ts_missing:
                    try:
                        from gate.collect.mcp.tools.static_ts import extract_file as extract_ts
                    except ImportError:  # tree-sitter missing: Python only
                        ts_missing = True
                if extract_ts is None:
                    continue
                part = extract_ts(path, shown)
        except InputError as e:
            merged.notes.append(e.diagnostics())
            continue
        merged.items.extend(part.items)
        merged.notes.extend(part.notes)
        merged.incomplete.extend(part.incomplete)
        if part.instructions is not None and merged.instructions is None:
            merged.instructions = part.instructions
            merged.instructions_location = part.instructions_location
    # One item per identity: the first declaration wins, later duplicates are noted.
    seen: dict[tuple[str, str], Item] = {}
    unique: list[Item] = []
    for item in merged.items:
        key = (item.kind, item.key)
        if key in seen:
            where = item.location.file if item.location else "?"
            merged.notes.append(f"{item.kind} {item.key!r} declared again in {where}; the first one is used")
            continue
        seen[key] = item
        unique.append(item)
    merged.items = unique
    merged.sort()
    return merged


def _attach_locations(surface: Surface, static: Surface) -> None:
    """Launched or saved items get the source location that static extraction found for them."""
    from gate.collect.mcp.tools.surface import Item

    where = {(i.kind, i.key): i.location for i in static.items if i.location}
    surface.items = [
        Item(i.kind, i.definition, i.location or where.get((i.kind, i.key)), i.origin, i.approximate)
        for i in surface.items
    ]
    if surface.instructions_location is None and static.instructions == surface.instructions:
        surface.instructions_location = static.instructions_location


def extract(settings: Settings) -> Extraction:
    """The surface as asked: ``--tools-json``, ``--launch``/``--url``, or static extraction."""
    root = settings.target
    tools_json = settings.option("tools_json")
    command = settings.option("launch")
    url = settings.option("url")
    if sum(bool(x) for x in (tools_json, command, url)) > 1:
        raise UsageError("give only one of --tools-json, --launch and --url")
    from gate.collect.mcp.tools.surface import Surface, load_surface_json

    static = (
        extract_static(root, excludes=settings.excludes, include_tests=settings.include_tests)
        if root.exists()
        else Surface()
    )
    if tools_json:
        path = Path(tools_json)
        surface = load_surface_json(path, shown=str(tools_json))
        _attach_locations(surface, static)
        return Extraction(surface, {"origin": "tools-json", "file": str(tools_json)})
    if command or url:
        from gate.collect.mcp.tools.launch import DEFAULT_TIMEOUT, launch

        timeout = float(settings.option("launch_timeout", DEFAULT_TIMEOUT))
        cwd = root if root.is_dir() else root.parent
        result = launch(
            command,
            url,
            cwd=cwd,
            timeout=timeout,
            network=settings.network,
            http=bool(settings.option("probe")),
        )
        source = {"origin": "launch", **result.evidence}
        if result.surface is None:
            return Extraction(Surface(), source, errors=result.errors, failed=True)
        _attach_locations(result.surface, static)
        return Extraction(result.surface, source, result.identity_diff, result.errors)
    return Extraction(static, {"origin": "static", "notes": static.notes[:50]})


def lock_path(settings: Settings) -> Path:
    explicit = settings.option("tools_lock")
    if explicit:
        return Path(explicit)
    root = settings.target if settings.target.is_dir() else settings.target.parent
    return root / LOCK_NAME


def item_status(item: Item, lock_state: str, changes: list[Change]) -> str:
    if lock_state == "missing":
        return "unlocked"
    for c in changes:
        if c.kind == item.kind and c.name == item.key:
            return c.change
    return "match"


EVIDENCE_MAX_STRING = 64 * 1024


def _clip(value: Any, limit: int = EVIDENCE_MAX_STRING) -> Any:
    """The definition as it goes into the evidence document: strings longer than ``limit`` are cut (with a
    note of their length); the digest, the lock and the detectors always see the whole text."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f"... [{len(value)} characters in total]"
    if isinstance(value, dict):
        return {k: _clip(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip(v, limit) for v in value]
    return value


def analyse(extraction: Extraction, lock_file: Path, *, display_root: Path | None = None) -> dict[str, Any]:
    """The ``input.mcp`` keys for one surface: items with findings and lock status, the lock, the diffs."""
    from gate.collect.mcp.tools.surface import KINDS, PLURAL
    from gate.evidence.tools.detect import (
        DEFAULT_FLAG_SEVERITY,
        analyse_definition,
        analyse_instructions,
        is_flagged,
    )
    from gate.evidence.tools.detect import max_severity as top

    surface = extraction.surface
    if lock_file.is_file():
        from gate.collect.mcp.tools.lock import lock_status

        state, changes = lock_status(lock_file, surface)
    else:
        state, changes = "missing", []
    out: dict[str, Any] = {}
    for kind in KINDS:
        entries = []
        for item in surface.of(kind):
            findings = analyse_definition(kind, item.definition)
            entries.append(
                {
                    "kind": kind,
                    "name": item.name,
                    "key": item.key,
                    "title": item.definition.get("title"),
                    "digest": item.digest,
                    "origin": item.origin,
                    "location": item.location.to_json() if item.location else None,
                    "findings": [f.to_json() for f in findings],
                    "max_severity": top(findings),
                    "flagged": is_flagged(findings, DEFAULT_FLAG_SEVERITY),
                    "lock_status": item_status(item, state, changes),
                    "approximate": list(item.approximate),
                    "definition": _clip(item.definition),
                }
            )
        out[PLURAL[kind]] = entries
    if surface.instructions is not None:
        findings = analyse_instructions(surface.instructions)
        out["instructions"] = {
            "text": surface.instructions,
            "digest": surface.instructions_digest(),
            "location": surface.instructions_location.to_json() if surface.instructions_location else None,
            "findings": [f.to_json() for f in findings],
            "max_severity": top(findings),
            "flagged": is_flagged(findings, DEFAULT_FLAG_SEVERITY),
        }
    else:
        out["instructions"] = None
    shown = lock_file.name
    if display_root is not None:
        try:
            shown = lock_file.resolve().relative_to(display_root.resolve()).as_posix()
        except ValueError:
            shown = lock_file.as_posix()
    out["lock"] = {"path": shown, "status": state, "changes": [c.to_json() for c in changes]}
    out["client_identity_diff"] = extraction.identity_diff
    out["tools_source"] = extraction.source
    return out


class ToolsCollector:
    """Inventory collector for the MCP tool surface (see the module docstring)."""

    name = "mcp-tools"

    def collect(self, inventory: Inventory) -> CollectorRun:
        settings = inventory.settings
        lock_file = lock_path(settings)
        locked = lock_file.is_file()
        if not locked and _nothing_to_extract(settings):
            return self._skipped(inventory, None)
        try:
            extraction = extract(settings)
        except GateError:
            raise
        if extraction.failed:
            inventory.mcp["tools_source"] = extraction.source
            inventory.mcp["tools"] = []
            return CollectorRun(
                self.name,
                "failed",
                errors=tuple(CollectorError(e) for e in extraction.errors),
                stats=_stats(extraction),
            )
        surface = extraction.surface
        if not surface.items and surface.instructions is None and not locked:
            return self._skipped(inventory, extraction)
        data = analyse(extraction, lock_file, display_root=inventory.root)
        inventory.mcp.update(data)
        if tool_surface_properties not in inventory.sbom_extensions:
            inventory.sbom_extensions.append(tool_surface_properties)
        errors = tuple(CollectorError(e) for e in [*extraction.errors, *surface.incomplete])
        return CollectorRun(
            self.name, "incomplete" if errors else "ok", errors=errors, stats=_stats(extraction)
        )

    def _skipped(self, inventory: Inventory, extraction: Extraction | None) -> CollectorRun:
        inventory.mcp.setdefault("tools", [])
        return CollectorRun(
            self.name, "skipped", reason="no MCP tools, prompts or resources found", stats=_stats(extraction)
        )


def _nothing_to_extract(settings: Settings) -> bool:
    """No saved list or server to read the surface from, and no source file for static extraction: the
    surface is known to be empty without importing the surface types and the extractors."""
    if settings.option("tools_json") or settings.option("launch") or settings.option("url"):
        return False
    root = settings.target
    if not root.exists():
        return True
    files = _source_files(root, excludes=settings.excludes, include_tests=settings.include_tests)
    return next(files, None) is None


def _stats(extraction: Extraction | None) -> dict[str, Any]:
    """The counts of the collector run; ``None``: nothing to extract from (an empty static surface)."""
    if extraction is None:
        return {"origin": "static", "tools": 0, "prompts": 0, "resources": 0, "notes": 0}
    s = extraction.surface
    return {
        "origin": extraction.source.get("origin"),
        "tools": len(s.of("tool")),
        "prompts": len(s.of("prompt")),
        "resources": len(s.of("resource")) + len(s.of("resource_template")),
        "notes": len(s.notes),
    }


__all__ = ["Extraction", "Location", "ToolsCollector", "analyse", "extract", "extract_static", "lock_path"]
