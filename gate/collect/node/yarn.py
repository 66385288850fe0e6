"""``yarn.lock``: classic (yarn 1, its own indented format) and berry (yarn 2+, YAML with ``__metadata``).

Classic records neither the project's own dependencies nor its workspaces: the roots come from the
``package.json`` files (the root and the folders its ``workspaces`` globs match). Berry records each
workspace as an entry ``name@workspace:path`` but merges its dev and production dependencies, so the
split again comes from the workspace's ``package.json`` when it is there. Berry's ``checksum`` is a digest
of yarn's own cache archive, not of the published tarball: it is kept as evidence, not as a hash.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any

from gate.collect.node.common import (
    YARN_REGISTRY,
    as_dict,
    hex_hash,
    integrity_hashes,
    source_for,
    split_spec,
)
from gate.collect.node.graph import WS, LockGraph, Node
from gate.errors import InputError
from gate.model import Hash, Source

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s"]+')
_MANIFEST_GROUPS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("devDependencies", "dev"),
)


def _unquote(s: str, shown: str, lineno: int) -> str:
    if s.startswith('"'):
        try:
            v = json.loads(s)
        except ValueError as e:
            raise InputError(f"bad quoted string at line {lineno}", path=shown) from e
        if not isinstance(v, str):
            raise InputError(f"bad quoted string at line {lineno}", path=shown)
        return v
    return s


def read_classic_entries(text: str, shown: str) -> list[tuple[list[str], dict[str, Any], int]]:
    """The entries of a classic yarn.lock: (descriptors, fields, line). Nested maps are dicts."""
    entries: list[tuple[list[str], dict[str, Any], int]] = []
    fields: dict[str, Any] | None = None
    sub: dict[str, str] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0:
            if not body.endswith(":"):
                raise InputError(f"line {lineno}: expected 'descriptor[, descriptor]:'", path=shown)
            descs = [_unquote(d.strip(), shown, lineno) for d in _split_descriptors(body[:-1])]
            if not descs or not all(descs):
                raise InputError(f"line {lineno}: empty descriptor", path=shown)
            fields = {}
            sub = None
            entries.append((descs, fields, lineno))
            continue
        if fields is None:
            raise InputError(f"line {lineno}: indented line outside an entry", path=shown)
        if indent == 2:
            sub = None
            if body.endswith(":") and len(_TOKEN.findall(body[:-1])) == 1:
                sub = {}
                fields[_unquote(body[:-1], shown, lineno)] = sub
                continue
            toks = _TOKEN.findall(body)
            if len(toks) < 2:
                raise InputError(f"line {lineno}: expected 'key value'", path=shown)
            fields[_unquote(toks[0].rstrip(":"), shown, lineno)] = _unquote(" ".join(toks[1:]), shown, lineno)
        elif indent == 4 and sub is not None:
            toks = _TOKEN.findall(body)
            if len(toks) != 2:
                raise InputError(f"line {lineno}: expected 'name range'", path=shown)
            sub[_unquote(toks[0].rstrip(":"), shown, lineno)] = _unquote(toks[1], shown, lineno)
        else:
            raise InputError(f"line {lineno}: unexpected indentation", path=shown)
    return entries


def _split_descriptors(s: str) -> list[str]:
    out, cur, q, esc = [], [], False, False
    for ch in s:
        if q:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                q = False
            continue
        if ch == '"':
            q = True
            cur.append(ch)
        elif ch == ",":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [d for d in out if d]


def _importers_from_manifests(graph: LockGraph, workspaces: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Importers for the root and each workspace package.json; returns workspace package name -> path."""
    names: dict[str, str] = {}
    for path, man in sorted(workspaces.items()):
        imp = graph.importer(path)
        imp.name = man.get("name") if isinstance(man.get("name"), str) else None
        imp.version = man.get("version") if isinstance(man.get("version"), str) else None
        if imp.name and path != ".":
            names[imp.name] = path
    return names


def parse_yarn_classic(
    text: str, shown: str, *, workspaces: dict[str, dict[str, Any]] | None = None
) -> LockGraph:
    graph = LockGraph(kind="yarn-classic", version="1", package_manager="yarn")
    entries = read_classic_entries(text, shown)
    desc_map: dict[str, str] = {}
    for descs, fields, lineno in entries:
        key = descs[0]
        dname, drange = split_spec(key)
        name = dname
        alias = None
        if drange.startswith("npm:"):
            name = split_spec(drange[4:])[0]
            alias = dname
        version = fields.get("version") if isinstance(fields.get("version"), str) else None
        resolved = fields.get("resolved") if isinstance(fields.get("resolved"), str) else None
        hashes: set[Hash] = set(integrity_hashes(fields.get("integrity")))
        if resolved and "#" in resolved:
            h = hex_hash("sha1", resolved.rsplit("#", 1)[1])
            if h:
                hashes.add(h)
        if drange.startswith(("file:", "link:", "portal:")) or (resolved or "").startswith("file:"):
            src = Source(kind="path", url=resolved or drange)
        else:
            src = source_for(name, resolved, YARN_REGISTRY)
        node = Node(
            key=key,
            name=name,
            version=version,
            resolved=resolved,
            integrity=fields.get("integrity") if isinstance(fields.get("integrity"), str) else None,
            hashes=tuple(sorted(hashes)),
            line=lineno,
            alias=alias,
            source=src,
        )
        if src.kind == "path":
            node.local_path = (resolved or drange).split(":", 1)[-1]
        graph.nodes[key] = node
        for d in descs:
            desc_map[d] = key
    for descs, fields, _ in entries:
        node = graph.nodes[descs[0]]
        optional = as_dict(fields.get("optionalDependencies"))
        for group, kind in (("dependencies", "prod"), ("optionalDependencies", "optional")):
            deps = fields.get(group)
            if not isinstance(deps, dict):
                continue
            for dep, rng in deps.items():
                target = desc_map.get(f"{dep}@{rng}")
                if target is None:
                    if kind == "prod" and dep not in optional:
                        graph.unresolved.append(f"{node.key} -> {dep}@{rng}")
                    continue
                node.edges.append((target, kind))
    ws = workspaces or {}
    ws_names = _importers_from_manifests(graph, ws)
    for path, man in ws.items():
        imp = graph.importer(path)
        for group, kind in _MANIFEST_GROUPS:
            deps = man.get(group)
            if not isinstance(deps, dict):
                continue
            for dep, rng in deps.items():
                if dep in ws_names and (not isinstance(rng, str) or not rng.startswith("npm:")):
                    imp.edges.append((WS + ws_names[dep], kind))
                    continue
                target = desc_map.get(f"{dep}@{rng}")
                if target is None:
                    if kind != "optional":
                        graph.unresolved.append(f"{path} -> {dep}@{rng}")
                    continue
                imp.edges.append((target, kind))
    if not ws:
        _roots_without_manifest(graph)
    return graph


def _roots_without_manifest(graph: LockGraph) -> None:
    """No package.json beside the lockfile: every package nothing else depends on is a production root."""
    depended = {t for n in graph.nodes.values() for t, _ in n.edges}
    imp = graph.importer(".")
    imp.declared = False
    imp.edges = [(k, "prod") for k in sorted(graph.nodes) if k not in depended]
    graph.warnings.append("no package.json beside the lockfile: dev dependencies cannot be told apart")


# -- berry ---------------------------------------------------------------------------------------------------


def _berry_source(name: str, reference: str, registry: str) -> Source:
    ref = reference
    if ref.startswith("patch:"):
        inner = ref[len("patch:") :].split("#", 1)[0]
        inner = inner.replace("%3A", ":").replace("%3a", ":")
        _, inner_ref = split_spec(inner)
        return _berry_source(name, inner_ref, registry)
    if ref.startswith("npm:"):
        return Source(kind="registry", registry=registry.rstrip("/"))
    if ref.startswith(("workspace:", "file:", "link:", "portal:")):
        return Source(kind="path", url=ref)
    return source_for(name, ref, None)


def parse_yarn_berry(
    doc: Any,
    text: str,
    shown: str,
    *,
    workspaces: dict[str, dict[str, Any]] | None = None,
    default_registry: str | None = None,
) -> LockGraph:
    if not isinstance(doc, dict):
        raise InputError("expected a YAML mapping at the top level", path=shown)
    meta = as_dict(doc.get("__metadata"))
    graph = LockGraph(kind="yarn-berry", version=str(meta.get("version", "")), package_manager="yarn")
    registry = default_registry or YARN_REGISTRY
    lines = _top_lines(text)
    desc_map: dict[str, str] = {}
    entries: dict[str, dict[str, Any]] = {}
    ws_entries: dict[str, tuple[str, dict[str, Any]]] = {}  # importer path -> (locator, entry)
    for raw_key, entry in doc.items():
        if raw_key == "__metadata":
            continue
        if not isinstance(raw_key, str) or not isinstance(entry, dict):
            raise InputError(f"entry {raw_key!r} must be a mapping", path=shown)
        resolution = entry.get("resolution")
        if not isinstance(resolution, str) or not resolution:
            raise InputError(f"entry {raw_key!r} has no resolution", path=shown)
        descs = [d.strip() for d in raw_key.split(",") if d.strip()]
        for d in descs:
            desc_map[d] = resolution
        name, reference = split_spec(resolution)
        if reference.startswith("workspace:"):
            p = reference[len("workspace:") :]
            p = "." if p in ("", ".") else posixpath.normpath(p)
            ws_entries[p] = (resolution, entry)
            continue
        entries[resolution] = entry
        version = entry.get("version") if isinstance(entry.get("version"), (str, int, float)) else None
        src = _berry_source(name, reference, registry)
        checksum = entry.get("checksum") if isinstance(entry.get("checksum"), str) else None
        node = Node(
            key=resolution,
            name=name,
            version=str(version) if version is not None else None,
            resolved=reference,
            integrity=checksum,
            line=lines.get(raw_key),
            source=src,
        )
        if checksum:
            node.extra["yarn_checksum"] = checksum
        if src.kind == "path":
            node.local_path = reference.split(":", 1)[1].split("#", 1)[0]
        graph.nodes[resolution] = node
    ws_by_locator = {loc: p for p, (loc, _) in ws_entries.items()}

    # file:/portal: descriptors carry the dependent's locator ("::locator=..."): also index them without it.
    for d, loc in list(desc_map.items()):
        if "::locator=" in d:
            desc_map.setdefault(d.split("::locator=", 1)[0], loc)

    def target_of(dep: str, rng: Any) -> str | None:
        rng = str(rng)
        for cand in (f"{dep}@{rng}", f"{dep}@npm:{rng}"):
            loc = desc_map.get(cand)
            if loc is not None:
                return WS + ws_by_locator[loc] if loc in ws_by_locator else loc
        return None

    for loc, entry in entries.items():
        node = graph.nodes[loc]
        dmeta = as_dict(entry.get("dependenciesMeta"))
        deps = entry.get("dependencies")
        if not isinstance(deps, dict):
            continue
        for dep, rng in deps.items():
            opt = isinstance(dmeta.get(dep), dict) and dmeta[dep].get("optional") is True
            t = target_of(str(dep), rng)
            if t is None:
                if not opt:
                    graph.unresolved.append(f"{loc} -> {dep}@{rng}")
                continue
            node.edges.append((t, "optional" if opt else "prod"))
            if not t.startswith(WS) and graph.nodes[t].name != dep and not graph.nodes[t].alias:
                graph.nodes[t].alias = str(dep)
    mans = workspaces or {}
    for p, (loc, entry) in sorted(ws_entries.items()):
        name, _ = split_spec(loc)
        imp = graph.importer(p)
        imp.name = name
        imp.line = lines.get(next((k for k in doc if isinstance(k, str) and loc in k), ""), None)
        man = mans.get(p)
        if man is not None and isinstance(man.get("version"), str):
            imp.version = man["version"]
        deps = as_dict(entry.get("dependencies"))
        dmeta = as_dict(entry.get("dependenciesMeta"))
        for dep, rng in deps.items():
            kind = "prod"
            if man is not None:
                in_prod = isinstance(man.get("dependencies"), dict) and dep in man["dependencies"]
                in_opt = (
                    isinstance(man.get("optionalDependencies"), dict) and dep in man["optionalDependencies"]
                )
                in_dev = isinstance(man.get("devDependencies"), dict) and dep in man["devDependencies"]
                kind = "prod" if in_prod else "optional" if in_opt else "dev" if in_dev else "prod"
            elif isinstance(dmeta.get(dep), dict) and dmeta[dep].get("optional"):
                kind = "optional"
            t = target_of(str(dep), rng)
            if t is None:
                if kind != "optional":
                    graph.unresolved.append(f"{p} -> {dep}@{rng}")
                continue
            imp.edges.append((t, kind))
            if not t.startswith(WS) and graph.nodes[t].name != dep and not graph.nodes[t].alias:
                graph.nodes[t].alias = str(dep)
        if man is None:
            imp.declared = False
    if not ws_entries:
        _roots_without_manifest(graph)
    elif any(not imp.declared for imp in graph.importers.values()):
        graph.warnings.append(
            "a workspace's package.json is missing: its dev dependencies are counted as production"
        )
    return graph


def _top_lines(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        if raw and raw[0] not in " #" and raw.rstrip().endswith(":"):
            key = raw.rstrip()[:-1]
            if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
                key = key[1:-1]
            out.setdefault(key, lineno)
    return out
