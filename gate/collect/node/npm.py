"""npm's lockfiles: ``package-lock.json`` v1, v2 and v3, ``npm-shrinkwrap.json`` (same format) and the
hidden lockfile of an installed tree (``node_modules/.package-lock.json``).

v2 and v3 list every installed folder under ``packages`` keyed by its path (``node_modules/a``,
``node_modules/a/node_modules/b``, workspace folders such as ``packages/x``, links with ``link: true``);
dependencies are resolved the way Node does it, from the dependent's folder upwards. v1 nests the same
tree under ``dependencies``; it is flattened into the same path keys. npm writes its own dev/optional/peer
verdict into both, and ``npm ci`` trusts it, so those flags decide the scope.
"""

from __future__ import annotations

import posixpath
from typing import Any

from gate.collect.node.common import as_dict, integrity_hashes, json_key_lines, source_for, workspace_match
from gate.collect.node.graph import WS, Importer, LockGraph, Node
from gate.errors import InputError
from gate.model import Source

_FLAGS = ("dev", "optional", "devOptional", "peer", "extraneous")


def parse_package_lock(
    doc: Any, text: str, shown: str, *, kind: str = "package-lock", manifest: dict[str, Any] | None = None
) -> LockGraph:
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object at the top level", path=shown)
    version = doc.get("lockfileVersion", 1)
    if not isinstance(version, int) or version < 1 or version > 3:
        raise InputError(f"unsupported lockfileVersion {version!r} (npm lockfiles are v1 to v3)", path=shown)
    graph = LockGraph(kind=kind, version=str(version), flags_authoritative=True, package_manager="npm")
    lines = json_key_lines(text)
    packages = doc.get("packages")
    if version >= 2 and isinstance(packages, dict):
        _read_packages(graph, packages, lines, shown)
    else:
        deps = doc.get("dependencies")
        if deps is not None and not isinstance(deps, dict):
            raise InputError("'dependencies' must be an object", path=shown)
        _read_v1(graph, doc, deps or {}, lines, shown, manifest)
    return graph


# -- v2 / v3 ------------------------------------------------------------------------------------------------


def _name_from_path(path: str) -> str:
    i = path.rfind("node_modules/")
    return path[i + len("node_modules/") :] if i >= 0 else path.rsplit("/", 1)[-1]


def _parent_dir(path: str) -> str:
    return posixpath.dirname(path)


def resolve_from(packages: Any, start: str, name: str) -> str | None:
    """Node's lookup: ``<dir>/node_modules/<name>`` from the dependent's folder up to the root."""
    d = start
    while True:
        cand = f"{d}/node_modules/{name}" if d else f"node_modules/{name}"
        if cand in packages:
            return cand
        if not d:
            return None
        d = _parent_dir(d)


def _read_packages(
    graph: LockGraph, packages: dict[str, Any], lines: dict[tuple[str, ...], int], shown: str
) -> None:
    root = packages.get("", {})
    if not isinstance(root, dict):
        raise InputError("packages[''] must be an object", path=shown)
    ws_globs = root.get("workspaces", [])
    if isinstance(ws_globs, dict):
        ws_globs = ws_globs.get("packages", [])
    ws_globs = [g for g in ws_globs if isinstance(g, str)] if isinstance(ws_globs, list) else []

    local: set[str] = set()
    links: dict[str, str] = {}
    for path, entry in packages.items():
        if not isinstance(path, str) or not isinstance(entry, dict):
            raise InputError(f"packages[{path!r}] must be an object", path=shown)
        _check_path(path, shown)
        if entry.get("link") is True:
            target = entry.get("resolved")
            if not isinstance(target, str):
                raise InputError(f"packages[{path!r}]: a link without 'resolved'", path=shown)
            _check_path(target, shown)
            links[path] = posixpath.normpath(target) if target else ""
        elif path and "node_modules/" not in path and not path.startswith("node_modules"):
            local.add(path)

    workspace_paths = {p for p in local if workspace_match(p, ws_globs)}
    # A folder that some link points to, or that the root declares as a workspace: a project of its own.
    for p in sorted(local):
        if p in workspace_paths:
            e = packages[p]
            graph.importers[p] = Importer(
                path=p,
                name=_str(e.get("name")),
                version=_str(e.get("version")),
                line=lines.get(("packages", p)),
            )
    r = graph.importer(".")
    r.name, r.version, r.line = _str(root.get("name")), _str(root.get("version")), lines.get(("packages", ""))

    def key_of(path: str) -> str:
        if path == "":
            return WS + "."
        if path in graph.importers:
            return WS + path
        return path

    def follow(path: str) -> str:
        seen = 0
        while path in links and seen < 64:
            path = links[path]
            seen += 1
        return path

    for path, entry in packages.items():
        if path == "" or path in links or path in graph.importers:
            continue
        name = _str(entry.get("name")) or _name_from_path(path)
        folder = _name_from_path(path) if "node_modules/" in path else None
        resolved = _str(entry.get("resolved"))
        version = _str(entry.get("version"))
        node = Node(
            key=path,
            name=name,
            version=version,
            resolved=resolved,
            integrity=_str(entry.get("integrity")),
            hashes=integrity_hashes(entry.get("integrity")),
            line=lines.get(("packages", path)),
            alias=folder if folder and folder != name else None,
            install_script=bool(entry.get("hasInstallScript")) or None,
            license=_str(entry.get("license")),
            flags=frozenset(f for f in _FLAGS if entry.get(f) is True),
        )
        if path in local:
            node.source = Source(kind="path", url=f"file:{path}")
            node.local_path = path
        elif resolved:
            node.source = source_for(name, resolved)
        elif entry.get("inBundle"):
            node.source = Source(kind="registry", url=None, registry=None)
            node.extra["bundled"] = True
        graph.nodes[path] = node

    def add_edges(
        from_path: str, entry: dict[str, Any], edges: list[tuple[str, str]], is_project: bool
    ) -> None:
        peer_meta = as_dict(entry.get("peerDependenciesMeta"))
        groups: list[tuple[str, str]] = [
            ("dependencies", "prod"),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
        ]
        if is_project:
            groups.append(("devDependencies", "dev"))
        for field_name, kind in groups:
            deps = entry.get(field_name)
            if not isinstance(deps, dict):
                continue
            for dep in deps:
                k = kind
                if kind == "peer" and isinstance(peer_meta.get(dep), dict) and peer_meta[dep].get("optional"):
                    k = "optional"
                found = resolve_from(packages, from_path, dep)
                if found is None:
                    if k in ("prod", "dev"):
                        graph.unresolved.append(f"{from_path or '.'} -> {dep}")
                    continue
                found = follow(found)
                edges.append((key_of(found), k))

    for path, entry in packages.items():
        if path in links:
            continue
        if path == "" or path in graph.importers:
            add_edges(path, entry, graph.importer(path or ".").edges, True)
        elif path in graph.nodes:
            add_edges(path, entry, graph.nodes[path].edges, False)


# -- v1 -----------------------------------------------------------------------------------------------------


def _read_v1(
    graph: LockGraph,
    doc: dict[str, Any],
    deps: dict[str, Any],
    lines: dict[tuple[str, ...], int],
    shown: str,
    manifest: dict[str, Any] | None,
) -> None:
    """Flatten the nested ``dependencies`` tree into ``node_modules/`` paths, then resolve ``requires``."""
    entries: dict[str, dict[str, Any]] = {}
    stack: list[tuple[str, tuple[str, ...], dict[str, Any]]] = [("", ("dependencies",), deps)]
    while stack:
        parent, kpath, tree = stack.pop()
        for name, entry in tree.items():
            if not isinstance(entry, dict):
                raise InputError(f"dependencies[{name!r}] must be an object", path=shown)
            _check_path(name, shown)
            path = f"{parent}/node_modules/{name}" if parent else f"node_modules/{name}"
            entries[path] = entry
            ver = _str(entry.get("version")) or ""
            real, version, alias = name, ver, None
            if ver.startswith("npm:"):
                real, version = _split_alias(ver[4:])
                alias = name
            resolved = _str(entry.get("resolved"))
            node = Node(
                key=path,
                name=real,
                version=version or None,
                resolved=resolved,
                integrity=_str(entry.get("integrity")),
                hashes=integrity_hashes(entry.get("integrity")),
                line=lines.get((*kpath, name)),
                alias=alias,
                flags=frozenset(f for f in _FLAGS if entry.get(f) is True),
            )
            if ver.startswith("file:"):
                node.source = Source(kind="path", url=ver)
                node.local_path = ver[5:]
                node.version = None
            elif ver and ("://" in ver or ver.startswith(("github:", "git+", "git:"))):
                node.source = Source(kind="git", url=resolved or ver)
                node.version = None
            else:
                node.source = source_for(real, resolved)
            graph.nodes[path] = node
            sub = entry.get("dependencies")
            if isinstance(sub, dict):
                stack.append((path, (*kpath, name, "dependencies"), sub))
    for path, entry in entries.items():
        req = entry.get("requires")
        if not isinstance(req, dict):
            continue
        opt = as_dict(entry.get("optionalDependencies"))
        for dep in req:
            found = resolve_from(entries, path, dep)
            if found is None:
                if dep not in opt:
                    graph.unresolved.append(f"{path} -> {dep}")
                continue
            graph.nodes[path].edges.append((found, "optional" if dep in opt else "prod"))
    root = graph.importer(".")
    root.name, root.version = _str(doc.get("name")), _str(doc.get("version"))
    if manifest is not None:
        for field_name, kind in (
            ("dependencies", "prod"),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
            ("devDependencies", "dev"),
        ):
            for dep in manifest.get(field_name) or {}:
                found = resolve_from(entries, "", dep)
                if found is not None:
                    root.edges.append((found, kind))
    else:
        # No package.json: the top-level entries npm did not flag dev are the production roots.
        root.declared = False
        for name, entry in deps.items():
            flagged_dev = entry.get("dev") is True
            root.edges.append((f"node_modules/{name}", "dev" if flagged_dev else "prod"))


def _split_alias(spec: str) -> tuple[str, str]:
    i = spec.find("@", 1)
    return (spec[:i], spec[i + 1 :]) if i > 0 else (spec, "")


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _check_path(path: str, shown: str) -> None:
    """Lockfile keys and link targets are relative folders: an absolute path, a drive or a NUL byte is
    malformed (npm never writes one). Relative paths that leave the target are judged by the caller."""
    if not path:
        return
    p = path.replace("\\", "/")
    if p.startswith("/") or (len(p) > 1 and p[1] == ":") or "\x00" in p:
        raise InputError(
            f"path {path!r} is absolute: a lockfile only holds paths relative to its folder", path=shown
        )
    parts = p.split("/")
    if "node_modules" in parts and ".." in parts[parts.index("node_modules") :]:
        raise InputError(f"path {path!r} climbs out of a node_modules folder", path=shown)
