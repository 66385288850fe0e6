"""The format-neutral shape every Python parser produces, and the one place that turns it into components.

A parser (uv.lock, poetry.lock, pylock.toml, requirements, pyproject, an installed environment) reads its file
into a :class:`LockGraph`: the locked (or declared) packages with their edges, and the project's roots
(production dependencies, optional extras, dev groups). :func:`build_components` then computes, once for
every format, what each package is: direct or transitive, and its scope by reachability over the graph.

Scope follows ``uv export --no-dev --frozen``: a package reachable from the project's production
dependencies is ``required`` even when a dev group also uses it; one reachable only from the project's own
extras is ``optional``; everything else (dev and test groups, packages no root reaches) is ``dev``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gate.collect.python.markers import EnvironmentGrid
from gate.errors import InputError
from gate.model import Component, Hash, Location, Source, hash_key
from gate.purl import normalize_python_name, pypi_purl, ref_for
from gate.record import Record


@dataclass(repr=False)
class Edge(Record):
    """A dependency of a package or of the project: ``version``/``source`` disambiguate when a lockfile
    holds several packages of one name (uv forks); ``extras`` activate the target's optional edges."""

    name: str
    version: str | None = None
    source: str | None = None
    extras: tuple[str, ...] = ()
    marker: str | None = None

    @property
    def key(self) -> str:
        return normalize_python_name(self.name)


@dataclass(repr=False)
class Package(Record):
    name: str
    version: str | None
    source: Source = field(default_factory=Source)
    source_key: str | None = None  # the lockfile's own spelling of the source, to match edges against
    hashes: tuple[Hash, ...] = ()
    dependencies: list[Edge] = field(default_factory=list)
    optional: dict[str, list[Edge]] = field(default_factory=dict)  # extra -> edges
    line: int | None = None
    pinned: bool = True
    groups: tuple[str, ...] = ()  # groups the file itself names (poetry categories, pylock/requirements)
    markers: str | None = None
    extras: tuple[str, ...] = ()
    is_root: bool = False  # the project itself (uv editable ".", a workspace root)
    description: str | None = None
    specifier: str | None = None  # the declared version range of an unpinned requirement
    editable: bool = False
    licenses: tuple[str, ...] = ()  # SPDX expressions or license names the metadata states
    lock_groups: tuple[str, ...] = ()  # every group the lockfile names, "main" included (poetry)
    file: str | None = None  # the file holding the entry, when not the graph's own file (includes)

    @property
    def key(self) -> str:
        return normalize_python_name(self.name)


@dataclass(repr=False)
class LockGraph(Record):
    """What one file says. ``production`` and ``dev`` are the roots; when a format has no edges
    (requirements, pylock without them) ``flat_scopes`` gives each package's scope directly."""

    file: str  # relative path of the file, for locations
    kind: str
    packages: list[Package] = field(default_factory=list)
    production: list[Edge] = field(default_factory=list)
    optional: dict[str, list[Edge]] = field(default_factory=dict)
    dev: dict[str, list[Edge]] = field(default_factory=dict)
    flat_scopes: dict[int, str] | None = None  # index in packages -> scope, when there is no graph
    has_edges: bool = True
    warnings: list[str] = field(default_factory=list)


class _Index:
    def __init__(self, packages: list[Package]) -> None:
        self.by_name: dict[str, list[int]] = {}
        for i, p in enumerate(packages):
            self.by_name.setdefault(p.key, []).append(i)
        self.packages = packages

    def resolve(self, edge: Edge) -> list[int]:
        found = self.by_name.get(edge.key, [])
        if len(found) <= 1:
            return list(found)
        narrowed = found
        if edge.version is not None:
            narrowed = [i for i in narrowed if self.packages[i].version == edge.version] or narrowed
        if edge.source is not None and len(narrowed) > 1:
            narrowed = [i for i in narrowed if self.packages[i].source_key == edge.source] or narrowed
        return list(narrowed)


def _grid(graph: LockGraph) -> EnvironmentGrid:
    markers: set[str] = set()
    for pkg in graph.packages:
        for e in pkg.dependencies:
            if e.marker:
                markers.add(e.marker)
        for es in pkg.optional.values():
            markers.update(e.marker for e in es if e.marker)
    for es in (graph.production, *graph.optional.values(), *graph.dev.values()):
        markers.update(e.marker for e in es if e.marker)
    return EnvironmentGrid(sorted(markers))


def _reach(
    graph: LockGraph, index: _Index, roots: Iterable[Edge], grid: EnvironmentGrid | None = None
) -> set[int]:
    """Indices of packages reachable from ``roots`` in at least one environment, following extras
    (``pkg[extra]`` edges activate the target's optional dependencies). Each (package, extras) state carries
    the set of environments that reach it; an edge's marker narrows the set. Iterative: deep graphs do not
    recurse, and a state is revisited only when its set grows (at most once per bit)."""
    grid = grid or _grid(graph)
    envs: dict[tuple[int, tuple[str, ...]], int] = {}
    queue: deque[tuple[int, tuple[str, ...]]] = deque()

    def push(i: int, extras: tuple[str, ...], mask: int) -> None:
        if not mask:
            return
        state = (i, extras)
        old = envs.get(state, 0)
        if mask & ~old:
            envs[state] = old | mask
            queue.append(state)

    for e in roots:
        for i in index.resolve(e):
            push(i, tuple(sorted(e.extras)), grid.mask(e.marker))
    while queue:
        state = queue.popleft()
        i, extras = state
        here = envs[state]
        pkg = graph.packages[i]
        edges = list(pkg.dependencies)
        for extra in extras:
            edges.extend(pkg.optional.get(extra, ()))
        for e in edges:
            narrowed = here & grid.mask(e.marker)
            for j in index.resolve(e):
                push(j, tuple(sorted(e.extras)), narrowed)
    return {i for (i, _), mask in envs.items() if mask}


def scopes(graph: LockGraph) -> dict[int, str]:
    """Scope of each package index: required, optional or dev (see the module docstring)."""
    if graph.flat_scopes is not None:
        return dict(graph.flat_scopes)
    index = _Index(graph.packages)
    grid = _grid(graph)
    prod = _reach(graph, index, graph.production, grid)
    optional = _reach(graph, index, [e for edges in graph.optional.values() for e in edges], grid) - prod
    out: dict[int, str] = {}
    for i, pkg in enumerate(graph.packages):
        if pkg.is_root:
            continue
        out[i] = "required" if i in prod else "optional" if i in optional else "dev"
    return out


def direct_keys(graph: LockGraph) -> set[str]:
    names = {e.key for e in graph.production}
    names |= {e.key for edges in graph.optional.values() for e in edges}
    names |= {e.key for edges in graph.dev.values() for e in edges}
    return names


def package_ref(pkg: Package) -> str:
    if pkg.version is not None and pkg.pinned:
        return ref_for(pypi_purl(pkg.name, pkg.version), "")
    # An unpinned or versionless package: the purl has no version, and the ref stays stable.
    if pkg.source.kind in ("git", "url", "path") and pkg.source.url:
        return ref_for(None, f"pypi:{pkg.key}:{pkg.source.kind}:{pkg.source.url}")
    return ref_for(pypi_purl(pkg.name, None), "")


def package_purl(pkg: Package) -> str:
    qualifiers: dict[str, str] = {}
    if pkg.source.kind == "git" and pkg.source.url:
        qualifiers["vcs_url"] = pkg.source.url
    elif pkg.source.kind == "url" and pkg.source.url:
        qualifiers["download_url"] = pkg.source.url
    elif (
        pkg.source.kind == "registry"
        and pkg.source.registry
        and pkg.source.registry.rstrip("/")
        not in (
            "https://pypi.org/simple",
            "https://pypi.python.org/simple",
            "https://pypi.org/pypi",
        )
    ):
        qualifiers["repository_url"] = pkg.source.registry
    return pypi_purl(pkg.name, pkg.version if pkg.pinned else None, **qualifiers)


def build_components(
    graph: LockGraph,
    project_ref: str,
    *,
    direct_names: set[str] | None = None,
    root_edges_in_dev_groups: dict[str, set[str]] | None = None,
) -> list[Component]:
    """Components of one graph, for one project. ``direct_names`` overrides which package names are the
    project's direct dependencies (the manifest's declared names); the graph's roots otherwise."""
    for pkg in graph.packages:
        if not _VALID_NAME.match(pkg.name):
            at = f"line {pkg.line}: " if pkg.line else ""
            raise InputError(f"{at}invalid package name {pkg.name[:80]!r}", path=pkg.file or graph.file)
    index = _Index(graph.packages)
    scope_of = scopes(graph)
    direct = direct_names if direct_names is not None else direct_keys(graph)
    group_of: dict[int, set[str]] = {}
    for group, edges in graph.dev.items():
        for i in _reach(graph, index, edges):
            group_of.setdefault(i, set()).add(group)
    refs = {i: package_ref(p) for i, p in enumerate(graph.packages)}
    out: list[Component] = []
    for i, pkg in enumerate(graph.packages):
        if pkg.is_root:
            continue
        deps: set[str] = set()
        edges = list(pkg.dependencies) + [e for es in pkg.optional.values() for e in es]
        for e in edges:
            for j in index.resolve(e):
                if j != i and not graph.packages[j].is_root:
                    deps.add(refs[j])
        extra: dict[str, Any] = {}
        groups = set(pkg.groups) | group_of.get(i, set())
        if groups:
            extra["groups"] = sorted(groups)
        scope = scope_of.get(i, "dev")
        if scope == "dev" and not groups and graph.flat_scopes is None:
            extra["reachable"] = False  # no root reaches it in any environment (uv export leaves it out)
        if pkg.markers:
            extra["markers"] = pkg.markers
        if pkg.extras:
            extra["extras"] = sorted(pkg.extras)
        if pkg.specifier:
            extra["specifier"] = pkg.specifier
        if pkg.editable:
            extra["editable"] = True
        out.append(
            Component(
                ref=refs[i],
                name=pkg.key,
                version=pkg.version,
                type="library",
                ecosystem="pypi",
                purl=package_purl(pkg),
                direct=pkg.key in direct,
                scope=scope,  # type: ignore[arg-type]
                pinned=pkg.pinned,
                hashes=tuple(sorted(set(pkg.hashes), key=hash_key)),
                source=pkg.source,
                locations=(Location(pkg.file or graph.file, pkg.line),),
                projects=(project_ref,),
                dependencies=tuple(sorted(deps)),
                licenses=pkg.licenses,
                description=pkg.description,
                extra=extra,
            )
        )
    return out


def table(parent: Any, key: str) -> dict[str, Any]:
    """``parent[key]`` when both are tables, else an empty table (for optional TOML sections)."""
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


_HEX = re.compile(r"[0-9a-f]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_VALID_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128, "blake2b": 128}
MAX_REQUIREMENT_CHARS = 8192
MAX_REQUIREMENT_NESTING = 32


def parse_hash(value: Any) -> Hash | None:
    """``sha256:abc...`` (uv, poetry, pip) -> Hash; anything else (unknown algorithm, wrong length,
    not hex: a truncated or corrupted digest) -> None."""
    if not isinstance(value, str) or ":" not in value:
        return None
    if len(value) == 71 and value.startswith("sha256:") and _HEX64.fullmatch(value, 7):
        return Hash("sha256", value[7:])  # the usual form, already normal
    alg, _, digest = value.partition(":")
    alg = alg.strip().lower().replace("-", "")
    digest = digest.strip().lower()
    if _HEX_LENGTHS.get(alg) != len(digest) or not _HEX.fullmatch(digest):
        return None
    return Hash(alg=alg, value=digest)


def valid_name(name: str) -> bool:
    """A PEP 508 distribution name."""
    return bool(_VALID_NAME.match(name))


def check_requirement_text(text: str, shown: str, line: int | None = None) -> None:
    """Refuse a requirement string that is absurdly long or nested before a recursive parser sees it."""
    where = f"line {line}: " if line else ""
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
            if depth > MAX_REQUIREMENT_NESTING:
                raise InputError(
                    f"{where}requirement nested more than {MAX_REQUIREMENT_NESTING} levels deep", path=shown
                )
        elif ch in ")]":
            depth -= 1
    if len(text) > MAX_REQUIREMENT_CHARS:
        raise InputError(f"{where}requirement longer than {MAX_REQUIREMENT_CHARS} characters", path=shown)


def header_lines(text: str, header: str) -> list[int]:
    """1-based line numbers of every ``header`` line (``[[package]]``): matched to the parsed array by
    position, which is how TOML arrays of tables are ordered."""
    out: list[int] = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() == header:
            out.append(n)
    return out


def entry_lines(text: str, header: str, entries: list[Any]) -> list[int | None]:
    """The 1-based line of each array-of-tables entry (``[[package]]``), matched by position. When the
    headers cannot be matched one to one (an entry written inline, a header inside a multi-line string),
    each entry's ``name = "..."`` line is searched for in order instead."""
    headers = header_lines(text, header)
    if len(headers) == len(entries):
        return list(headers)
    lines = text.splitlines()
    out: list[int | None] = []
    pos = 0
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        found = None
        if isinstance(name, str):
            needle = f'name = "{name}"'
            for n in range(pos, len(lines)):
                if needle in lines[n]:
                    found, pos = n + 1, n + 1
                    break
        out.append(found)
    return out
