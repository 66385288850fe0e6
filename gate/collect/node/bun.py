"""``bun.lock``: bun's text lockfile (JSON with trailing commas), lockfile versions 0 and 1.

``workspaces`` maps each workspace folder (``""`` the root) to its declared dependencies; ``packages``
maps an install path (``name``, or ``parent/name`` for a copy nested under ``parent``) to an array:
``[ident, registry, meta, integrity]`` for registry packages, ``[ident, meta, ...]`` for git, tarball and
local ones, ``[ident]`` for workspace packages, where ``ident`` is ``name@version`` or ``name@<spec>``.
Dependencies resolve like Node: the nested path first, then each parent, then the top level.
"""

from __future__ import annotations

import posixpath
from typing import Any

from gate.collect.node.common import (
    as_list,
    child_key_lines,
    integrity_hashes,
    json_key_lines,
    source_for,
    split_spec,
)
from gate.collect.node.graph import WS, LockGraph, Node
from gate.errors import InputError
from gate.model import Source

_WS_GROUPS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("peerDependencies", "peer"),
    ("devDependencies", "dev"),
)
_PKG_GROUPS = (("dependencies", "prod"), ("optionalDependencies", "optional"), ("peerDependencies", "peer"))


def _segments(key: str) -> list[str]:
    """``@s/a/b/@t/c`` -> ``["@s/a", "b", "@t/c"]``."""
    parts = key.split("/")
    out: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i].startswith("@") and i + 1 < len(parts):
            out.append(parts[i] + "/" + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def parse_bun_lock(doc: Any, text: str, shown: str, *, default_registry: str | None = None) -> LockGraph:
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object at the top level", path=shown)
    lock_version = doc.get("lockfileVersion")
    if lock_version not in (0, 1):
        raise InputError(
            f"unsupported lockfileVersion {lock_version!r} (bun.lock versions 0 and 1)", path=shown
        )
    graph = LockGraph(kind="bun-lock", version=str(lock_version), package_manager="bun")
    lines = json_key_lines(text)
    pkg_lines = child_key_lines(text, lines.get(("packages",)))
    workspaces = doc.get("workspaces")
    packages = doc.get("packages")
    if not isinstance(workspaces, dict) or not isinstance(packages, dict):
        raise InputError("'workspaces' and 'packages' must be objects", path=shown)
    registry = (default_registry or "https://registry.npmjs.org").rstrip("/")

    ws_paths: dict[str, str] = {}  # workspace package name -> path
    for path, ws in workspaces.items():
        if not isinstance(ws, dict):
            raise InputError(f"workspaces[{path!r}] must be an object", path=shown)
        p = "." if path in ("", ".") else posixpath.normpath(path)
        imp = graph.importer(p)
        imp.name = ws.get("name") if isinstance(ws.get("name"), str) else None
        imp.version = ws.get("version") if isinstance(ws.get("version"), str) else None
        imp.line = lines.get(("workspaces", path))
        if imp.name and p != ".":
            ws_paths[imp.name] = p

    metas: dict[str, dict[str, Any]] = {}
    ws_keys: dict[str, str] = {}
    for key, arr in packages.items():
        if not isinstance(arr, list) or not arr or not isinstance(arr[0], str):
            raise InputError(f"packages[{key!r}] must be an array starting with 'name@version'", path=shown)
        ident = arr[0]
        name, spec = split_spec(ident)
        if spec.startswith("workspace:"):
            p = spec[len("workspace:") :]
            ws_keys[key] = WS + ("." if p in ("", ".") else posixpath.normpath(p))
            continue
        meta = next((x for x in arr[1:] if isinstance(x, dict)), {})
        strings = [x for x in arr[1:] if isinstance(x, str)]
        integrity = next(
            (s for s in strings if s.startswith(("sha512-", "sha256-", "sha384-", "sha1-"))), None
        )
        version: str | None = spec
        if spec.startswith(("file:", "link:", "root:")) or spec.startswith((".", "/")):
            src = Source(kind="path", url=spec)
            version = meta.get("version") if isinstance(meta.get("version"), str) else None
        elif spec.startswith(("github:", "git+", "git:", "gitlab:", "bitbucket:")) or "://" in spec:
            src = source_for(name, spec, None)
            version = meta.get("version") if isinstance(meta.get("version"), str) else None
        else:
            reg = strings[0] if strings and strings[0].startswith("http") else registry
            src = Source(kind="registry", registry=reg.rstrip("/"))
        node = Node(
            key=key,
            name=name,
            version=version or None,
            integrity=integrity,
            hashes=integrity_hashes(integrity),
            line=pkg_lines.get(key),
            source=src,
        )
        segs = _segments(key)
        if segs and segs[-1] != name:
            node.alias = segs[-1]
        if src.kind == "path" and src.url:
            node.local_path = src.url.split(":", 1)[-1]
        graph.nodes[key] = node
        metas[key] = meta

    def resolve(from_key: str, dep: str) -> str | None:
        segs = _segments(from_key) if from_key else []
        while True:
            cand = "/".join([*segs, dep]) if segs else dep
            if cand in graph.nodes:
                return cand
            if cand in ws_keys:
                return ws_keys[cand]
            if not segs:
                return None
            segs = segs[:-1]

    for key, meta in metas.items():
        node = graph.nodes[key]
        optional_peers = as_list(meta.get("optionalPeers"))
        for group, kind in _PKG_GROUPS:
            deps = meta.get(group)
            if not isinstance(deps, dict):
                continue
            for dep in deps:
                k = "optional" if kind == "peer" and dep in optional_peers else kind
                t = resolve(key, dep)
                if t is None:
                    if k == "prod":
                        graph.unresolved.append(f"{key} -> {dep}")
                    continue
                node.edges.append((t, k))

    for path, ws in workspaces.items():
        p = "." if path in ("", ".") else posixpath.normpath(path)
        imp = graph.importers[p]
        prefix = imp.name if p != "." and imp.name else ""
        for group, kind in _WS_GROUPS:
            deps = ws.get(group)
            if not isinstance(deps, dict):
                continue
            for dep, rng in deps.items():
                if dep in ws_paths and isinstance(rng, str) and rng.startswith("workspace:"):
                    imp.edges.append((WS + ws_paths[dep], kind))
                    continue
                t = resolve(prefix, dep)
                if t is None:
                    if kind in ("prod", "dev"):
                        graph.unresolved.append(f"{p} -> {dep}")
                    continue
                imp.edges.append((t, kind))
    return graph
