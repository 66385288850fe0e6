"""``poetry.lock`` (lock-version 1.x and 2.x): packages, their ``files`` hashes (or the old
``[metadata.files]`` table), sources (git, url, directory, file, legacy index), dependency edges, extras,
and the ``category``/``groups`` Poetry recorded. ``[metadata] content-hash`` ties the lock to pyproject.

The lock does not list the project's own dependencies; the collector takes the roots from pyproject.toml.
Without pyproject.toml, Poetry's own ``groups``/``category`` decide the scope.
"""

from __future__ import annotations

import re
from typing import Any

from gate.collect.python.graph import Edge, LockGraph, Package, entry_lines, parse_hash, table
from gate.errors import InputError
from gate.model import Hash, Source
from gate.purl import normalize_python_name
from gate.safeio import parse_toml

_EXTRA_DEP = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?")


def _files_hashes(files: Any) -> tuple[Hash, ...]:
    out: list[Hash] = []
    if isinstance(files, list):
        for f in files:
            if isinstance(f, dict):
                h = parse_hash(f.get("hash"))
                if h:
                    out.append(h)
    return tuple(out)


def _edges(name: str, raw: Any) -> list[Edge]:
    specs = raw if isinstance(raw, list) else [raw]
    out: list[Edge] = []
    for spec in specs:
        marker = None
        extras: tuple[str, ...] = ()
        optional = False
        if isinstance(spec, dict):
            marker = spec.get("markers") if isinstance(spec.get("markers"), str) else None
            ex = spec.get("extras")
            extras = tuple(x for x in ex if isinstance(x, str)) if isinstance(ex, list) else ()
            optional = spec.get("optional") is True
        if optional:
            continue  # only through an extra: listed under [package.extras]
        out.append(Edge(name=name, extras=extras, marker=marker))
    return out


def parse(text: str, shown: str) -> tuple[LockGraph, dict[str, Any]]:
    """The graph (without roots) and the ``[metadata]`` table."""
    doc = parse_toml(text, shown)
    raw_packages = doc.get("package", [])
    if not isinstance(raw_packages, list):
        raise InputError("'package' must be an array of tables", path=shown)
    metadata = table(doc, "metadata")
    if not metadata:
        # Poetry always writes [metadata] last: without it the file is truncated or not a Poetry lock.
        raise InputError("no [metadata] table (truncated, or not a Poetry lockfile)", path=shown)
    old_files = table(metadata, "files")
    lines = entry_lines(text, "[[package]]", raw_packages)
    graph = LockGraph(file=shown, kind="poetry.lock")
    old_files_by_key = {normalize_python_name(str(k)): v for k, v in old_files.items()}
    for n, raw in enumerate(raw_packages):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InputError(f"package #{n + 1} has no name", path=shown)
        name = raw["name"]
        version = raw.get("version") if isinstance(raw.get("version"), str) else None
        src = table(raw, "source")
        kind = src.get("type")
        url = src.get("url") if isinstance(src.get("url"), str) else None
        pinned = version is not None
        if kind == "git":
            ref = src.get("resolved_reference") or src.get("reference")
            source = Source(kind="git", url=f"{url}@{ref}" if url and isinstance(ref, str) else url)
            pinned = isinstance(src.get("resolved_reference"), str)
        elif kind in ("directory", "file"):
            source = Source(kind="path", url=url)
            pinned = bool(url) and not str(url).startswith(("/", "..")) and ".." not in str(url).split("/")
        elif kind == "url":
            source = Source(kind="url", url=url)
        elif kind == "legacy":
            source = Source(kind="registry", registry=url)
        else:
            source = Source(kind="registry")
        hashes = _files_hashes(raw.get("files")) or _files_hashes(
            old_files_by_key.get(normalize_python_name(name))
        )
        deps: list[Edge] = []
        raw_deps = raw.get("dependencies")
        if isinstance(raw_deps, dict):
            for dep_name, spec in raw_deps.items():
                deps.extend(_edges(str(dep_name), spec))
        optional: dict[str, list[Edge]] = {}
        raw_extras = raw.get("extras")
        if isinstance(raw_extras, dict):
            for extra, reqs in raw_extras.items():
                if isinstance(reqs, list):
                    for r in reqs:
                        m = _EXTRA_DEP.match(str(r))
                        if m:
                            optional.setdefault(str(extra), []).append(Edge(name=m.group(1)))
        groups: tuple[str, ...] = ()
        if isinstance(raw.get("groups"), list):
            groups = tuple(str(g) for g in raw["groups"])
        elif isinstance(raw.get("category"), str):
            groups = (raw["category"],)
        graph.packages.append(
            Package(
                name=name,
                version=version,
                source=source,
                hashes=hashes,
                dependencies=deps,
                optional=optional,
                line=lines[n] if lines else None,
                pinned=pinned,
                groups=tuple(g for g in groups if g != "main"),
                description=raw.get("description") if isinstance(raw.get("description"), str) else None,
            )
        )
        graph.packages[-1].lock_groups = groups
    return graph, metadata


def flat_scopes_from_groups(graph: LockGraph) -> None:
    """Without pyproject.toml: scope from the groups Poetry wrote (``main`` is production)."""
    scopes: dict[int, str] = {}
    for i, pkg in enumerate(graph.packages):
        groups = pkg.lock_groups
        scopes[i] = "required" if not groups or "main" in groups else "dev"
    graph.flat_scopes = scopes
