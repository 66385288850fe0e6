"""An installed ``node_modules`` tree.

npm (7+) keeps a hidden lockfile, ``node_modules/.package-lock.json``, describing exactly what is installed;
when it is there it is read like a package-lock v3. Otherwise every ``node_modules/*/package.json`` (and
``@scope/*``) is read, following symlinks only inside the tree (pnpm's ``.pnpm`` store and workspace links),
and dependencies are resolved the way Node resolves them: from the package's real folder upwards. Each
``package.json`` is read with a size limit; the number of packages is bounded.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate import safeio
from gate.collect.node.common import as_dict, integrity_hashes, source_for
from gate.collect.node.graph import LockGraph, Node
from gate.collect.node.npm import parse_package_lock
from gate.errors import InputError
from gate.model import Source

MAX_PACKAGES = 100_000
MAX_PACKAGE_JSON = 2 * safeio.MiB
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")


def read_installed(nm: Path, root: Path, rel: Callable[[Path], str]) -> tuple[LockGraph, str]:
    hidden = nm / ".package-lock.json"
    project = nm.parent
    manifest = _manifest(project / "package.json", rel)
    if hidden.is_file() and not hidden.is_symlink():
        shown = rel(hidden)
        text = safeio.read_text(hidden, shown=shown)
        graph = parse_package_lock(
            safeio.parse_json(text, shown), text, shown, kind="installed", manifest=manifest
        )
        # The hidden lockfile has no root entry: the project's package.json gives the roots.
        root_imp = graph.importer(".")
        if manifest is not None:
            root_imp.name = _s(manifest.get("name"))
            root_imp.version = _s(manifest.get("version"))
            if not root_imp.edges:
                _root_edges(
                    graph,
                    manifest,
                    lambda dep: f"node_modules/{dep}" if f"node_modules/{dep}" in graph.nodes else None,
                )
        else:
            root_imp.edges = [(k, "prod") for k in graph.nodes if k.count("node_modules/") == 1]
        return graph, shown
    return _walk(nm, root, rel, manifest), rel(nm)


def _manifest(path: Path, rel: Callable[[Path], str]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    doc = safeio.load_json(path, shown=rel(path), max_bytes=MAX_PACKAGE_JSON)
    return doc if isinstance(doc, dict) else None


def _root_edges(graph: LockGraph, manifest: dict[str, Any], find: Callable[[str], str | None]) -> None:
    imp = graph.importer(".")
    for group, kind in (
        ("dependencies", "prod"),
        ("optionalDependencies", "optional"),
        ("peerDependencies", "peer"),
        ("devDependencies", "dev"),
    ):
        deps = manifest.get(group)
        if not isinstance(deps, dict):
            continue
        for dep in deps:
            t = find(dep)
            if t is not None:
                imp.edges.append((t, kind))
            elif kind in ("prod", "dev"):
                graph.unresolved.append(f". -> {dep}")


def _walk(nm: Path, root: Path, rel: Callable[[Path], str], manifest: dict[str, Any] | None) -> LockGraph:
    graph = LockGraph(kind="installed", version=None, package_manager="installed")
    project = nm.parent
    root_r = root.resolve()
    keys: dict[str, str] = {}  # real path -> node key

    def key_for(real: Path) -> str:
        return rel(real)

    def find(from_dir: Path, dep: str) -> Path | None:
        d = from_dir
        for _ in range(256):
            cand = d / "node_modules" / dep
            if cand.is_dir():
                return cand
            if d == root_r or d.parent == d or not safeio.is_within(d.parent, root_r):
                return None
            d = d.parent
        return None

    def load(pkg_dir: Path) -> str | None:
        try:
            real = pkg_dir.resolve()
        except (OSError, RuntimeError):
            graph.warnings.append(f"cannot resolve {rel(pkg_dir)}")
            return None
        if not safeio.is_within(real, root_r):
            graph.warnings.append(f"{rel(pkg_dir)} links outside the tree ({real}); not read")
            return None
        k = keys.get(str(real))
        if k is not None:
            return k
        if len(keys) >= MAX_PACKAGES:
            raise InputError(f"more than {MAX_PACKAGES} installed packages", path=rel(nm))
        pj = real / "package.json"
        if not pj.is_file():
            return None
        doc = safeio.load_json(pj, shown=rel(pj), max_bytes=MAX_PACKAGE_JSON)
        if not isinstance(doc, dict):
            raise InputError("expected a JSON object at the top level", path=rel(pj))
        k = key_for(real)
        keys[str(real)] = k
        name = _s(doc.get("name")) or pkg_dir.name
        scripts = as_dict(doc.get("scripts"))
        install = (
            any(s in scripts for s in _INSTALL_SCRIPTS)
            or bool(doc.get("gypfile"))
            or ((real / "binding.gyp").is_file())
        )
        resolved = _s(doc.get("_resolved"))
        in_store = "node_modules" in real.relative_to(root_r).parts
        src = (
            source_for(name, resolved)
            if resolved
            else (
                Source(kind="registry", registry=None)
                if in_store
                else Source(kind="path", url=f"file:{rel(real)}")
            )
        )
        folder_name = (
            pkg_dir.name
            if not pkg_dir.parent.name.startswith("@")
            else f"{pkg_dir.parent.name}/{pkg_dir.name}"
        )
        lic = doc.get("license")
        node = Node(
            key=k,
            name=name,
            version=_s(doc.get("version")),
            resolved=resolved,
            integrity=_s(doc.get("_integrity")),
            hashes=integrity_hashes(doc.get("_integrity")),
            line=None,
            alias=folder_name if folder_name != name else None,
            install_script=install or None,
            source=src,
            license=lic if isinstance(lic, str) else None,
        )
        if src.kind == "path":
            node.local_path = rel(real)
        graph.nodes[k] = node
        pending.append((k, real, doc))
        return k

    pending: deque[tuple[str, Path, dict[str, Any]]] = deque()
    top: list[str] = []
    for entry in _entries(nm):
        k = load(entry)
        if k is not None:
            top.append(k)
    imp = graph.importer(".")
    if manifest is not None:
        imp.name, imp.version = _s(manifest.get("name")), _s(manifest.get("version"))
        project_real = project.resolve()

        def find_root(dep: str) -> str | None:
            found = find(project_real, dep)
            return load(found) if found is not None else None

        _root_edges(graph, manifest, find_root)
    else:
        imp.declared = False
        imp.edges = [(k, "prod") for k in top]
    while pending:
        k, real, doc = pending.popleft()
        node = graph.nodes[k]
        peer_meta = as_dict(doc.get("peerDependenciesMeta"))
        for group, kind in (
            ("dependencies", "prod"),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
        ):
            deps = doc.get(group)
            if not isinstance(deps, dict):
                continue
            for dep in deps:
                optional_peer = (
                    kind == "peer"
                    and isinstance(peer_meta.get(dep), dict)
                    and bool(peer_meta[dep].get("optional"))
                )
                found = find(real, str(dep))
                t = load(found) if found is not None else None
                if t is None:
                    if kind == "prod":
                        graph.unresolved.append(f"{k} -> {dep}")
                    continue
                node.edges.append((t, "optional" if optional_peer else kind))
    return graph


def _entries(nm: Path) -> list[Path]:
    out: list[Path] = []
    try:
        names = sorted(os.listdir(nm))
    except OSError as e:
        raise InputError(f"cannot list: {e.strerror or e}", path=str(nm)) from e
    for n in names:
        if n.startswith("."):
            continue
        p = nm / n
        if n.startswith("@") and p.is_dir():
            out.extend(p / s for s in sorted(os.listdir(p)) if not s.startswith("."))
        elif p.is_dir():
            out.append(p)
    return out


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None
