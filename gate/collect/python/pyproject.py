"""``pyproject.toml``: the project's identity and its declared dependencies.

PEP 621 ``[project]`` (dependencies, optional-dependencies, scripts), PEP 735 ``[dependency-groups]``
(with ``{include-group = ...}``), uv's ``[tool.uv] dev-dependencies`` and ``default-groups``, and Poetry's
``[tool.poetry]`` (dependencies, ``dev-dependencies``, ``group.<name>.dependencies``, scripts). The declared
dependencies are the roots of the project's lockfile graph; without a lockfile they are the components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from gate.collect.python.graph import Edge, LockGraph, Package, check_requirement_text, table
from gate.errors import InputError
from gate.model import Source
from gate.purl import normalize_python_name
from gate.record import Record
from gate.safeio import parse_toml, require_mapping

MAX_INCLUDE_DEPTH = 32


@dataclass(repr=False)
class Declared(Record):
    """One declared dependency."""

    name: str
    specifier: str | None = None
    version: str | None = None  # set when the declaration pins one exact version
    extras: tuple[str, ...] = ()
    marker: str | None = None
    source: Source = field(default_factory=Source)
    line: int | None = None
    pinned: bool = False
    optional: bool = False  # Poetry: only installed through an extra

    @property
    def key(self) -> str:
        return normalize_python_name(self.name)

    def edge(self) -> Edge:
        return Edge(name=self.name, extras=self.extras, marker=self.marker)


@dataclass(repr=False)
class PyProject(Record):
    file: str
    name: str | None = None
    version: str | None = None
    description: str | None = None
    scripts: dict[str, str] = field(default_factory=dict)
    production: list[Declared] = field(default_factory=list)
    optional: dict[str, list[Declared]] = field(default_factory=dict)
    groups: dict[str, list[Declared]] = field(default_factory=dict)
    default_groups: tuple[str, ...] = ("dev",)
    is_poetry: bool = False
    errors: list[tuple[str, int | None]] = field(default_factory=list)

    def declared_names(self) -> set[str]:
        names = {d.key for d in self.production}
        names |= {d.key for ds in self.optional.values() for d in ds}
        names |= {d.key for ds in self.groups.values() for d in ds}
        return names


class _Lines:
    """Cheap line lookup: the first line that mentions a string, after a section header when given."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, needle: str, after: str | None = None) -> int | None:
        start = 0
        if after:
            for n, line in enumerate(self.lines):
                if line.strip() == after:
                    start = n
                    break
        for n in range(start, len(self.lines)):
            if needle in self.lines[n]:
                return n + 1
        return None


def _pep508(
    raw: Any, lines: _Lines, shown: str, where: str, errors: list[tuple[str, int | None]]
) -> Declared | None:
    if not isinstance(raw, str):
        errors.append((f"{where}: a dependency that is not a string", None))
        return None
    line = lines.find(f'"{raw}"') or lines.find(f"'{raw}'") or lines.find(raw)
    check_requirement_text(raw, shown, line)
    try:
        req = Requirement(raw)
    except InvalidRequirement as e:
        # pip and uv refuse to build such a project: the manifest is unusable.
        at = f"line {line}: " if line else ""
        raise InputError(
            f"{at}{where}: invalid requirement {raw[:80]!r}: {str(e).splitlines()[0]}", path=shown
        ) from e
    specs = list(req.specifier)
    d = Declared(
        name=req.name,
        specifier=str(req.specifier) or None,
        extras=tuple(sorted(req.extras)),
        marker=str(req.marker) if req.marker else None,
        line=line,
    )
    if req.url:
        d.source = Source(kind="git" if req.url.startswith("git+") else "url", url=req.url)
    elif len(specs) == 1 and specs[0].operator in ("==", "===") and not specs[0].version.endswith(".*"):
        d.version = specs[0].version
        d.pinned = True
    return d


_POETRY_EXACT = re.compile(r"^\s*(==\s*)?v?\d+(\.\d+)*([a-z]+\d*)?(\.post\d+)?(\.dev\d+)?\s*$", re.IGNORECASE)


def _poetry_dep(name: str, raw: Any, lines: _Lines, section: str) -> Declared:
    line = lines.find(f"{name} =", after=section) or lines.find(f'"{name}" =', after=section)
    if isinstance(raw, list):  # several constraints for several environments: keep the first
        raw = raw[0] if raw else "*"
    d = Declared(name=name, line=line)
    if isinstance(raw, str):
        d.specifier = raw
    elif isinstance(raw, dict):
        d.specifier = raw.get("version") if isinstance(raw.get("version"), str) else None
        extras = raw.get("extras")
        d.extras = tuple(sorted(x for x in extras if isinstance(x, str))) if isinstance(extras, list) else ()
        d.marker = raw.get("markers") if isinstance(raw.get("markers"), str) else None
        d.optional = raw.get("optional") is True
        if isinstance(raw.get("git"), str):
            rev = raw.get("rev") or raw.get("tag") or raw.get("branch")
            d.source = Source(kind="git", url=raw["git"] + (f"@{rev}" if isinstance(rev, str) else ""))
        elif isinstance(raw.get("path"), str):
            d.source = Source(kind="path", url=raw["path"])
        elif isinstance(raw.get("url"), str):
            d.source = Source(kind="url", url=raw["url"])
    if d.specifier and _POETRY_EXACT.match(d.specifier):
        d.version = d.specifier.strip().lstrip("=").strip().lstrip("v")
        d.pinned = True
    return d


def _groups(
    doc: dict[str, Any], lines: _Lines, shown: str, errors: list[tuple[str, int | None]]
) -> dict[str, list[Declared]]:
    raw = doc.get("dependency-groups")
    out: dict[str, list[Declared]] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise InputError("[dependency-groups] must be a table", path=shown)

    def expand(group: str, depth: int, trail: tuple[str, ...]) -> list[Declared]:
        items = raw.get(group)
        if not isinstance(items, list) or depth > MAX_INCLUDE_DEPTH or group in trail:
            if group in trail:
                errors.append((f"[dependency-groups] {group}: include cycle", None))
            return []
        found: list[Declared] = []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("include-group"), str):
                found.extend(expand(item["include-group"], depth + 1, (*trail, group)))
            else:
                d = _pep508(item, lines, shown, f"[dependency-groups] {group}", errors)
                if d:
                    found.append(d)
        return found

    for group in raw:
        out[str(group)] = expand(str(group), 0, ())
    return out


def parse(text: str, shown: str) -> PyProject:
    doc = require_mapping(parse_toml(text, shown), shown)
    lines = _Lines(text)
    pp = PyProject(file=shown)
    project = doc.get("project")
    tool = table(doc, "tool")
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    if project is not None and not isinstance(project, dict):
        raise InputError("[project] must be a table", path=shown)
    project = project or {}
    pp.name = project.get("name") if isinstance(project.get("name"), str) else None
    pp.version = project.get("version") if isinstance(project.get("version"), str) else None
    pp.description = project.get("description") if isinstance(project.get("description"), str) else None
    for section in ("scripts", "gui-scripts"):
        scripts = project.get(section)
        if isinstance(scripts, dict):
            pp.scripts.update({str(k): str(v) for k, v in scripts.items() if isinstance(v, str)})
    deps = project.get("dependencies", [])
    if not isinstance(deps, list):
        raise InputError("[project] dependencies must be an array", path=shown)
    pp.production = [
        d for d in (_pep508(r, lines, shown, "[project] dependencies", pp.errors) for r in deps) if d
    ]
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, dict):
        for extra, reqs in optional.items():
            if isinstance(reqs, list):
                where = f"[project.optional-dependencies] {extra}"
                pp.optional[str(extra)] = [
                    d for d in (_pep508(r, lines, shown, where, pp.errors) for r in reqs) if d
                ]
    pp.groups = _groups(doc, lines, shown, pp.errors)
    uv = table(tool, "uv")
    uv_dev = uv.get("dev-dependencies")
    if isinstance(uv_dev, list):
        declared = [
            d
            for d in (_pep508(r, lines, shown, "[tool.uv] dev-dependencies", pp.errors) for r in uv_dev)
            if d
        ]
        pp.groups.setdefault("dev", []).extend(declared)
    default_groups = uv.get("default-groups")
    if default_groups == "all":
        pp.default_groups = tuple(pp.groups)
    elif isinstance(default_groups, list):
        pp.default_groups = tuple(str(g) for g in default_groups)
    if poetry is not None:
        _poetry(pp, poetry, lines)
    return pp


def _poetry(pp: PyProject, poetry: dict[str, Any], lines: _Lines) -> None:
    pp.is_poetry = True
    pp.name = pp.name or (poetry.get("name") if isinstance(poetry.get("name"), str) else None)
    pp.version = pp.version or (poetry.get("version") if isinstance(poetry.get("version"), str) else None)
    if not pp.description and isinstance(poetry.get("description"), str):
        pp.description = poetry["description"]
    scripts = poetry.get("scripts")
    if isinstance(scripts, dict):
        for k, v in scripts.items():
            if isinstance(v, str):
                pp.scripts.setdefault(str(k), v)
            elif isinstance(v, dict) and isinstance(v.get("reference"), str):
                pp.scripts.setdefault(str(k), v["reference"])
    deps = poetry.get("dependencies")
    extras_of: dict[str, list[str]] = {}
    extras = poetry.get("extras")
    if isinstance(extras, dict):
        for extra, names in extras.items():
            if isinstance(names, list):
                for n in names:
                    extras_of.setdefault(normalize_python_name(str(n)), []).append(str(extra))
    if isinstance(deps, dict):
        for name, raw in deps.items():
            if str(name).lower() == "python":
                continue
            d = _poetry_dep(str(name), raw, lines, "[tool.poetry.dependencies]")
            if d.optional:
                for extra in extras_of.get(d.key, ["optional"]):
                    pp.optional.setdefault(extra, []).append(d)
            elif not pp.production or d.key not in {p.key for p in pp.production}:
                pp.production.append(d)
    dev = poetry.get("dev-dependencies")
    if isinstance(dev, dict):
        pp.groups.setdefault("dev", []).extend(
            _poetry_dep(str(n), r, lines, "[tool.poetry.dev-dependencies]")
            for n, r in dev.items()
            if str(n) != "python"
        )
    groups = poetry.get("group")
    if isinstance(groups, dict):
        for group, body in groups.items():
            gdeps = body.get("dependencies") if isinstance(body, dict) else None
            if isinstance(gdeps, dict):
                section = f"[tool.poetry.group.{group}.dependencies]"
                declared = [
                    _poetry_dep(str(n), r, lines, section) for n, r in gdeps.items() if str(n) != "python"
                ]
                if str(group) == "main":
                    pp.production.extend(declared)
                else:
                    pp.groups.setdefault(str(group), []).extend(declared)


def declared_graph(pp: PyProject) -> LockGraph:
    """The components of a project that has no lockfile: its declared dependencies, one per name."""
    graph = LockGraph(file=pp.file, kind="pyproject", has_edges=False)
    scope_of: dict[int, str] = {}
    seen: dict[str, int] = {}
    groups_of: dict[str, set[str]] = {}

    def add(d: Declared, scope: str, group: str | None) -> None:
        if group:
            groups_of.setdefault(d.key, set()).add(group)
        if d.key in seen:
            i = seen[d.key]
            rank = {"required": 0, "optional": 1, "dev": 2}
            if rank[scope] < rank[scope_of[i]]:
                scope_of[i] = scope
            return
        seen[d.key] = len(graph.packages)
        scope_of[len(graph.packages)] = scope
        graph.packages.append(
            Package(
                name=d.name,
                version=d.version,
                source=d.source,
                line=d.line,
                pinned=d.pinned,
                markers=d.marker,
                extras=d.extras,
                specifier=None if d.pinned else d.specifier,
            )
        )

    for d in pp.production:
        add(d, "required", None)
    for group in pp.default_groups:
        if group != "dev":
            for d in pp.groups.get(group, []):
                add(d, "required", group)
    for ds in pp.optional.values():
        for d in ds:
            add(d, "optional", None)
    for group, ds in pp.groups.items():
        for d in ds:
            add(d, "dev", group)
    for pkg in graph.packages:
        if pkg.key in groups_of:
            pkg.groups = tuple(sorted(groups_of[pkg.key]))
    graph.flat_scopes = scope_of
    graph.production = [d.edge() for d in pp.production]
    return graph
