"""``pnpm-lock.yaml``, lockfile versions 5.4 to 9.0.

- ``importers`` (one per workspace project, ``.`` the root) list ``dependencies``, ``devDependencies`` and
  ``optionalDependencies``; from v6 each is ``{specifier, version}``, before it the version alone.
- v6 and v7 keep one ``packages`` map (resolution, flags and edges); v9 splits it into ``packages``
  (metadata, keyed ``name@version``) and ``snapshots`` (edges, keyed ``name@version(peer@x)...``).
- A version is ``1.2.3``, ``1.2.3(peer@1.0.0)`` (peer-suffixed), ``name@1.2.3`` (an ``npm:`` alias or a
  non-registry package), ``link:../path`` (a workspace or linked folder) or ``file:...``.
- Resolved peers appear among a snapshot's ``dependencies``; v9 no longer records ``requiresBuild``.
"""

from __future__ import annotations

import posixpath
from typing import Any

from gate.collect.node.common import as_dict, integrity_hashes, source_for
from gate.collect.node.graph import WS, Importer, LockGraph, Node
from gate.errors import InputError
from gate.model import Source

_IMPORTER_GROUPS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("devDependencies", "dev"),
)


def parse_pnpm_lock(doc: Any, text: str, shown: str, *, default_registry: str | None = None) -> LockGraph:
    if not isinstance(doc, dict):
        raise InputError("expected a YAML mapping at the top level", path=shown)
    raw_version = str(doc.get("lockfileVersion", ""))
    try:
        major = float(raw_version.split("-", 1)[0]) if raw_version else 0.0
    except ValueError:
        major = 0.0
    if major < 5 or major >= 10:
        raise InputError(
            f"unsupported lockfileVersion {raw_version!r} (pnpm lockfiles 5.4 to 9.x)", path=shown
        )
    v9 = major >= 9
    v5 = major < 6
    graph = LockGraph(kind="pnpm-lock", version=raw_version, package_manager="pnpm")

    packages = _mapping(doc.get("packages"), "packages", shown)
    snapshots = _mapping(doc.get("snapshots"), "snapshots", shown) if v9 else packages
    importers = _mapping(doc.get("importers"), "importers", shown)
    if not importers:
        # A single-project lockfile (no workspace) keeps the importer at the top level.
        importers = {
            ".": {
                k: doc.get(k)
                for k in ("dependencies", "devDependencies", "optionalDependencies", "specifiers")
                if k in doc
            }
        }

    sect_lines = _section_lines(text)
    pkg_lines = sect_lines.get("packages", {})
    snap_lines = sect_lines.get("snapshots", {}) if v9 else pkg_lines
    imp_lines = sect_lines.get("importers", {})

    def strip_peers(ref: str) -> str:
        if v5:
            return ref.split("_", 1)[0]
        i = ref.find("(")
        return ref[:i] if i >= 0 else ref

    def candidates(alias: str, ref: str) -> list[str]:
        if v5:
            return [ref, f"/{alias}/{ref}"] if ref.startswith("/") else [f"/{alias}/{ref}", ref]
        bare = strip_peers(ref)
        if "@" in bare[1:]:
            return [ref, f"/{ref}", ref.lstrip("/")]
        return [f"{alias}@{ref}", f"/{alias}@{ref}", ref, f"/{ref}"]

    def lookup(alias: str, ref: str) -> str | None:
        for c in candidates(alias, ref):
            if c in snapshots:
                return c
        return None

    def name_version(key: str) -> tuple[str, str | None]:
        k = key[1:] if key.startswith("/") else key
        if v5:
            k = k.split("_", 1)[0]
            name, _, version = k.rpartition("/")
            return (name, version) if name else (k, None)
        k = strip_peers(k)
        i = k.find("@", 1)
        return (k[:i], k[i + 1 :]) if i > 0 else (k, None)

    # Importers (projects) first: edges to link: targets point at them.
    for path in importers:
        if not isinstance(path, str):
            raise InputError(f"importers: key {path!r} is not a path", path=shown)
        p = posixpath.normpath(path) if path not in ("", ".") else "."
        graph.importers[p] = Importer(path=p, line=imp_lines.get(path))

    def link_target(from_dir: str, ref: str) -> str:
        spec = ref.split(":", 1)[1]
        if spec.startswith("/") or "\x00" in spec:
            raise InputError(f"link {ref!r} is absolute: a lockfile only holds relative paths", path=shown)
        return posixpath.normpath(posixpath.join("" if from_dir == "." else from_dir, spec)) or "."

    def edge_target(from_dir: str, alias: str, ref: Any) -> str | None:
        if isinstance(ref, dict):  # v6+ importer entry {specifier, version}
            ref = ref.get("version")
        if isinstance(ref, (int, float)):
            ref = str(ref)
        if not isinstance(ref, str) or not ref:
            return None
        if ref.startswith("link:"):
            target = link_target(from_dir, ref)
            if target in graph.importers:
                return WS + target
            key = f"link:{target}"
            if key not in graph.nodes:
                graph.nodes[key] = Node(
                    key=key,
                    name=alias,
                    version=None,
                    source=Source(kind="path", url=f"link:{target}"),
                    local_path=target,
                )
            return key
        return lookup(alias, ref)

    # Packages.
    for key, snap in snapshots.items():
        if not isinstance(key, str):
            raise InputError(f"packages: key {key!r} is not a string", path=shown)
        if snap is None:
            snap = {}
        if not isinstance(snap, dict):
            raise InputError(f"packages[{key!r}] must be a mapping", path=shown)
        name, version = name_version(key)
        meta = packages.get(strip_peers(key)) if v9 else snap
        if not isinstance(meta, dict):
            meta = {}
        if isinstance(meta.get("name"), str):
            name = meta["name"]
        if isinstance(meta.get("version"), str):
            version = meta["version"]
        resolution = as_dict(meta.get("resolution"))
        integrity = resolution.get("integrity")
        src = _resolution_source(name, version, resolution, default_registry)
        if src.kind != "registry" and version and not _looks_like_version(version):
            version = meta.get("version") if isinstance(meta.get("version"), str) else None
        node = Node(
            key=key,
            name=name,
            version=version,
            resolved=src.url,
            integrity=integrity if isinstance(integrity, str) else None,
            hashes=integrity_hashes(integrity),
            line=pkg_lines.get(strip_peers(key)) or snap_lines.get(key),
            install_script=True if meta.get("requiresBuild") is True else None,
            source=src,
            flags=frozenset(f for f in ("dev", "optional") if snap.get(f) is True or meta.get(f) is True),
        )
        if src.kind == "path":
            node.local_path = (
                resolution.get("directory") if isinstance(resolution.get("directory"), str) else None
            )
        graph.nodes[key] = node

    for key, snap in snapshots.items():
        if not isinstance(snap, dict):
            continue
        node = graph.nodes[key]
        for field_name, kind in (("dependencies", "prod"), ("optionalDependencies", "optional")):
            deps = snap.get(field_name)
            if deps is None:
                continue
            if not isinstance(deps, dict):
                raise InputError(f"packages[{key!r}].{field_name} must be a mapping", path=shown)
            for alias, ref in deps.items():
                target = edge_target(".", str(alias), ref)
                if target is None:
                    if kind == "prod":
                        graph.unresolved.append(f"{key} -> {alias}@{ref}")
                    continue
                node.edges.append((target, kind))

    for path, entry in importers.items():
        p = posixpath.normpath(path) if path not in ("", ".") else "."
        imp = graph.importers[p]
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise InputError(f"importers[{path!r}] must be a mapping", path=shown)
        for field_name, kind in _IMPORTER_GROUPS:
            deps = entry.get(field_name)
            if deps is None:
                continue
            if not isinstance(deps, dict):
                raise InputError(f"importers[{path!r}].{field_name} must be a mapping", path=shown)
            for alias, ref in deps.items():
                target = edge_target(p, str(alias), ref)
                if target is None:
                    if kind != "optional":
                        graph.unresolved.append(f"{p} -> {alias}")
                    continue
                imp.edges.append((target, kind))
                if not target.startswith(WS) and target in graph.nodes:
                    n = graph.nodes[target]
                    if str(alias) != n.name and not n.alias:
                        n.alias = str(alias)
    # Aliases reached from packages: a snapshot dependency whose key names another package.
    for snap in snapshots.values():
        if not isinstance(snap, dict):
            continue
        for field_name in ("dependencies", "optionalDependencies"):
            deps = snap.get(field_name) or {}
            if not isinstance(deps, dict):
                continue
            for alias, ref in deps.items():
                if isinstance(ref, str) and not ref.startswith("link:"):
                    t = lookup(str(alias), ref)
                    if t is not None and graph.nodes[t].name != str(alias) and not graph.nodes[t].alias:
                        graph.nodes[t].alias = str(alias)
    return graph


def _looks_like_version(v: str) -> bool:
    return bool(v) and v[0].isdigit() and ":" not in v and "/" not in v


def _resolution_source(
    name: str, version: str | None, res: dict[str, Any], default_registry: str | None
) -> Source:
    tarball = res.get("tarball")
    if res.get("type") == "git" or "commit" in res:
        repo = res.get("repo") if isinstance(res.get("repo"), str) else ""
        commit = res.get("commit") if isinstance(res.get("commit"), str) else ""
        return Source(kind="git", url=f"{repo}#{commit}" if commit else repo or None)
    if res.get("type") == "directory" or "directory" in res:
        d = res.get("directory")
        return Source(kind="path", url=f"file:{d}" if isinstance(d, str) else None)
    if isinstance(tarball, str):
        if tarball.startswith("file:"):
            return Source(kind="path", url=tarball)
        return source_for(name, tarball)
    return Source(kind="registry", registry=(default_registry or "https://registry.npmjs.org").rstrip("/"))


def _mapping(v: Any, what: str, shown: str) -> dict[Any, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise InputError(f"'{what}' must be a mapping", path=shown)
    return v


def _section_lines(text: str) -> dict[str, dict[str, int]]:
    """Line numbers of the two-space-indented keys under each top-level section."""
    out: dict[str, dict[str, int]] = {}
    current: dict[str, int] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw or raw[0] == "#":
            continue
        if raw[0] != " ":
            name = raw.split(":", 1)[0].strip().strip("'\"")
            current = out.setdefault(name, {})
            continue
        if current is None or not raw.startswith("  ") or raw[2] in " #":
            continue
        s = raw[2:].rstrip()
        if not s.endswith(":") and ": " not in s:
            continue
        key = s[:-1] if s.endswith(":") else s.split(": ", 1)[0]
        if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
            key = key[1:-1].replace("''", "'") if key[0] == "'" else key[1:-1]
        current.setdefault(key, lineno)
    return out
