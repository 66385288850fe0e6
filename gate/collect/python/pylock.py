"""``pylock.toml`` and ``pylock.<name>.toml`` (PEP 751): packages with their index, VCS, directory or
archive source, sdist/wheel/archive hashes, and markers.

PEP 751 puts groups and extras in each package's ``marker`` (``'dev' in dependency_groups``,
``'cli' in extras``). A package is ``required`` when its marker can hold with only the lock's
``default-groups`` (minus dev-like groups) and no extras, ``optional`` when it needs an extra, ``dev``
otherwise. The optional ``dependencies`` arrays give edges when present.
"""

from __future__ import annotations

from typing import Any

from gate.collect.python.graph import Edge, LockGraph, Package, entry_lines
from gate.collect.python.markers import Leaf, names_in, possibly_true
from gate.collect.python.requirements import is_dev_file
from gate.errors import InputError
from gate.model import Hash, Source
from gate.safeio import parse_toml

_ALGS = {"sha256", "sha384", "sha512", "sha1", "md5", "blake2b"}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _hashes(table: Any) -> list[Hash]:
    out: list[Hash] = []
    if isinstance(table, dict) and isinstance(table.get("hashes"), dict):
        for alg, value in table["hashes"].items():
            a = str(alg).lower().replace("-", "")
            if (
                a in _ALGS
                and isinstance(value, str)
                and value
                and all(c in "0123456789abcdefABCDEF" for c in value)
            ):
                out.append(Hash(alg=a, value=value.lower()))
    return out


def _decider(groups: set[str], extras: set[str] | None) -> Any:
    def decide(leaf: Leaf) -> bool | None:
        if leaf.left_is_var == leaf.right_is_var:
            return None
        var, lit = (leaf.left, leaf.right) if leaf.left_is_var else (leaf.right, leaf.left)
        if var not in ("dependency_groups", "extras") or leaf.op not in ("in", "not in"):
            return None
        pool = groups if var == "dependency_groups" else extras
        if pool is None:  # every extra may be on
            return True
        hit = lit in pool
        return hit if leaf.op == "in" else not hit

    return decide


def parse(text: str, shown: str) -> LockGraph:
    doc = parse_toml(text, shown)
    if not isinstance(doc.get("lock-version"), str):
        raise InputError("not a PEP 751 lockfile (no 'lock-version')", path=shown)
    raw_packages = doc.get("packages", [])
    if not isinstance(raw_packages, list):
        raise InputError("'packages' must be an array of tables", path=shown)
    lines = entry_lines(text, "[[packages]]", raw_packages)
    default_groups = doc.get("default-groups")
    prod_groups = (
        {str(g) for g in default_groups if not is_dev_file(str(g))}
        if isinstance(default_groups, list)
        else set()
    )
    graph = LockGraph(file=shown, kind="pylock.toml")
    scopes: dict[int, str] = {}
    for n, raw in enumerate(raw_packages):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InputError(f"package #{n + 1} has no name", path=shown)
        version = raw.get("version") if isinstance(raw.get("version"), str) else None
        hashes: list[Hash] = []
        pinned = version is not None
        is_root = False
        if isinstance(raw.get("vcs"), dict):
            vcs = raw["vcs"]
            url = _text(vcs.get("url")) or _text(vcs.get("path"))
            commit = _text(vcs.get("commit-id"))
            source = Source(
                kind="git" if vcs.get("type", "git") == "git" else "url",
                url=f"{url}@{commit}" if url and commit else url,
            )
            pinned = isinstance(commit, str)
        elif isinstance(raw.get("directory"), dict):
            path = raw["directory"].get("path")
            source = Source(kind="path", url=path if isinstance(path, str) else None)
            is_root = path in (".", "./")
            pinned = isinstance(path, str) and not path.startswith("/") and ".." not in path.split("/")
        elif isinstance(raw.get("archive"), dict):
            archive = raw["archive"]
            location = _text(archive.get("url")) or _text(archive.get("path"))
            source = Source(kind="url" if _text(archive.get("url")) else "path", url=location)
            hashes = _hashes(archive)
            pinned = bool(hashes)
        else:
            index = raw.get("index") if isinstance(raw.get("index"), str) else None
            source = Source(kind="registry", registry=index)
        hashes += _hashes(raw.get("sdist"))
        wheels = raw.get("wheels")
        if isinstance(wheels, list):
            for w in wheels:
                hashes += _hashes(w)
        marker = raw.get("marker") if isinstance(raw.get("marker"), str) else None
        deps = raw.get("dependencies")
        edges = (
            [
                Edge(name=d["name"], version=d.get("version") if isinstance(d.get("version"), str) else None)
                for d in deps
                if isinstance(d, dict) and isinstance(d.get("name"), str)
            ]
            if isinstance(deps, list)
            else []
        )
        groups = tuple(sorted(names_in(marker, "dependency_groups")))
        extras = tuple(sorted(names_in(marker, "extras")))
        pkg = Package(
            name=raw["name"],
            version=version,
            source=source,
            hashes=tuple(hashes),
            dependencies=edges,
            line=lines[n] if lines else None,
            pinned=pinned,
            markers=marker,
            groups=groups,
            extras=extras,
            is_root=is_root,
        )
        if possibly_true(marker, _decider(prod_groups, set())):
            scopes[len(graph.packages)] = "required"
        elif possibly_true(marker, _decider(prod_groups, None)):
            scopes[len(graph.packages)] = "optional"
        else:
            scopes[len(graph.packages)] = "dev"
        graph.packages.append(pkg)
    graph.flat_scopes = scopes
    graph.has_edges = any(p.dependencies for p in graph.packages)
    roots = [p for p in graph.packages if p.is_root]
    if roots:
        graph.production = [e for r in roots for e in r.dependencies]
    else:
        depended = {e.key for p in graph.packages for e in p.dependencies}
        graph.production = [Edge(name=p.name) for p in graph.packages if p.key not in depended]
    return graph
