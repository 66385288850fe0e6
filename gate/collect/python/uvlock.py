"""``uv.lock``: every locked package with its source, sdist and wheel hashes, edges, extras and dev groups.

The project is the package whose source is ``editable``/``virtual`` at ``.`` (or, in a virtual workspace,
the ``[manifest] members``). Its ``dependencies`` are the production roots, its
``[package.optional-dependencies]`` the extras, and its ``[package.dev-dependencies]`` (which is where uv
writes both ``[tool.uv] dev-dependencies`` and PEP 735 ``[dependency-groups]``) the dev groups, so that
the production set is what ``uv export --no-dev --frozen`` emits.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from gate.collect.python.graph import Edge, LockGraph, Package, entry_lines, parse_hash, table
from gate.errors import InputError
from gate.model import Hash, Source
from gate.purl import normalize_python_name
from gate.safeio import parse_toml

_LOCAL_SOURCES = ("editable", "virtual", "directory", "path")


def _source(raw: Any) -> tuple[Source, str | None, str | None]:
    """(Source, the source's own spelling for edge matching, the local path if any)."""
    if not isinstance(raw, dict):
        return Source(kind="unknown"), None, None
    for kind in ("registry", "git", "url", *_LOCAL_SOURCES):
        value = raw.get(kind)
        if isinstance(value, str):
            key = f"{kind}+{value}"
            if kind == "registry":
                return Source(kind="registry", registry=value), key, None
            if kind == "git":
                return Source(kind="git", url=value), key, None
            if kind == "url":
                return Source(kind="url", url=value), key, None
            return Source(kind="path", url=value), key, value
    return Source(kind="unknown"), None, None


def _edges(raw: Any, shown: str, where: str) -> list[Edge]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"{where}: expected a list of dependencies", path=shown)
    out: list[Edge] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"{where}: a dependency without a name", path=shown)
        extras = item.get("extra") or ()
        _src, key, _ = _source(item.get("source")) if "source" in item else (None, None, None)
        out.append(
            Edge(
                name=item["name"],
                version=item.get("version") if isinstance(item.get("version"), str) else None,
                source=key,
                extras=tuple(x for x in extras if isinstance(x, str)) if isinstance(extras, list) else (),
                marker=item.get("marker") if isinstance(item.get("marker"), str) else None,
            )
        )
    return out


def _groups(raw: Any, shown: str, where: str) -> dict[str, list[Edge]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a table of groups", path=shown)
    return {str(k): _edges(v, shown, f"{where}.{k}") for k, v in raw.items()}


def _hashes(raw: dict[str, Any]) -> tuple[Hash, ...]:
    found: list[Hash] = []
    sdist = raw.get("sdist")
    if isinstance(sdist, dict):
        h = parse_hash(sdist.get("hash"))
        if h:
            found.append(h)
    wheels = raw.get("wheels")
    if isinstance(wheels, list):
        for w in wheels:
            if isinstance(w, dict):
                h = parse_hash(w.get("hash"))
                if h:
                    found.append(h)
    return tuple(found)


def _inside(path: str) -> bool:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return not PurePosixPath(path).is_absolute() and ".." not in parts


def parse(text: str, shown: str) -> LockGraph:
    doc = parse_toml(text, shown)
    raw_packages = doc.get("package", [])
    if not isinstance(raw_packages, list):
        raise InputError("'package' must be an array of tables", path=shown)
    if "version" not in doc and not raw_packages:
        raise InputError("not a uv lockfile (no 'version' and no packages)", path=shown)
    lines = entry_lines(text, "[[package]]", raw_packages)
    graph = LockGraph(file=shown, kind="uv.lock")
    for n, raw in enumerate(raw_packages):
        where = f"package #{n + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InputError(f"{where} has no name", path=shown)
        where = f"package {raw['name']!r}"
        source, key, local = _source(raw.get("source"))
        version = raw.get("version") if isinstance(raw.get("version"), str) else None
        optional = _groups(raw.get("optional-dependencies"), shown, f"{where} optional-dependencies")
        pkg = Package(
            name=raw["name"],
            version=version,
            source=source,
            source_key=key,
            hashes=_hashes(raw),
            dependencies=_edges(raw.get("dependencies"), shown, f"{where} dependencies"),
            optional=optional,
            line=lines[n] if lines else None,
        )
        if source.kind == "git":
            # Pinned when the lock records the resolved commit (``...#<sha>``).
            pkg.pinned = "#" in (source.url or "")
        elif local is not None:
            pkg.pinned = _inside(local)
        elif source.kind == "url":
            pkg.pinned = bool(pkg.hashes)  # a direct URL is only fixed by its digest
        elif version is None:
            pkg.pinned = False
        raw_source = table(raw, "source")
        if raw_source.get("editable") == "." or raw_source.get("virtual") == ".":
            pkg.is_root = True
        pkg_dev = _groups(raw.get("dev-dependencies"), shown, f"{where} dev-dependencies")
        graph.packages.append(pkg)
        if pkg.is_root:
            graph.production.extend(pkg.dependencies)
            for extra, edges in optional.items():
                graph.optional.setdefault(extra, []).extend(edges)
            for group, edges in pkg_dev.items():
                graph.dev.setdefault(group, []).extend(edges)
    manifest = table(doc, "manifest")
    if not any(p.is_root for p in graph.packages):
        # A virtual workspace root: the members are the projects.
        members = manifest.get("members")
        member_keys = {normalize_python_name(str(m)) for m in members} if isinstance(members, list) else set()
        for n, raw in enumerate(raw_packages):
            pkg = graph.packages[n]
            if pkg.key in member_keys and pkg.source.kind == "path":
                pkg.is_root = True
                graph.production.extend(pkg.dependencies)
                for extra, edges in pkg.optional.items():
                    graph.optional.setdefault(extra, []).extend(edges)
                for group, edges in _groups(raw.get("dev-dependencies"), shown, "dev-dependencies").items():
                    graph.dev.setdefault(group, []).extend(edges)
    # A project without a [project] table keeps its groups in [manifest.dependency-groups] (requirements).
    groups = manifest.get("dependency-groups")
    if isinstance(groups, dict):
        for group, reqs in groups.items():
            if isinstance(reqs, list):
                graph.dev.setdefault(str(group), []).extend(
                    Edge(name=r["name"])
                    for r in reqs
                    if isinstance(r, dict) and isinstance(r.get("name"), str)
                )
    requirements = manifest.get("requirements")
    if isinstance(requirements, list):
        graph.production.extend(
            Edge(name=r["name"], extras=tuple(r.get("extras") or ()))
            for r in requirements
            if isinstance(r, dict) and isinstance(r.get("name"), str)
        )
    if not any(p.is_root for p in graph.packages) and not graph.production and graph.packages:
        graph.warnings.append("no project root in the lockfile: every package is treated as required")
        graph.flat_scopes = {i: "required" for i in range(len(graph.packages))}
    _check_closed(graph, shown)
    _annotate_markers(graph)
    return graph


def _check_closed(graph: LockGraph, shown: str) -> None:
    """uv locks every package any locked package depends on; an edge to nothing means the file was
    truncated or edited by hand, and its production set cannot be trusted."""
    names = {p.key for p in graph.packages}
    every: list[tuple[Package | None, Edge]] = [
        (p, e) for p in graph.packages for e in p.dependencies + [x for xs in p.optional.values() for x in xs]
    ]
    every += [(None, e) for es in graph.dev.values() for e in es]
    for pkg, e in every:
        if e.key not in names:
            owner = f"package {pkg.name!r}" if pkg else "a dev group"
            at = f"line {pkg.line}: " if pkg and pkg.line else ""
            raise InputError(
                f"{at}{owner} depends on {e.name!r}, which the lockfile does not hold (truncated or edited?)",
                path=shown,
            )


def _annotate_markers(graph: LockGraph) -> None:
    """Record the environment markers under which a package is pulled in (when every edge to it has one)."""
    incoming: dict[tuple[str, str | None], list[str | None]] = {}
    for pkg in graph.packages:
        for e in pkg.dependencies + [e for es in pkg.optional.values() for e in es]:
            incoming.setdefault((e.key, e.version), []).append(e.marker)
    for e in graph.production:
        incoming.setdefault((e.key, e.version), []).append(e.marker)
    for pkg in graph.packages:
        markers = incoming.get((pkg.key, None), []) + incoming.get((pkg.key, pkg.version), [])
        if markers and all(markers):
            distinct = sorted({m for m in markers if m})
            pkg.markers = distinct[0] if len(distinct) == 1 else " or ".join(f"({m})" for m in distinct)
