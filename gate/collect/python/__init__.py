"""The Python inventory: projects, their manifests and lockfiles, and every package they pull in.

Read statically (pip and build backends are never run): ``uv.lock``, ``poetry.lock``, ``pylock.toml`` /
``pylock.<name>.toml``, ``requirements*.txt`` and ``requirements/*.txt``, ``pyproject.toml`` (PEP 621, PEP 735
and Poetry), and an installed environment given with ``--python-env``. One module per format; each turns
its file into a :class:`~gate.collect.python.graph.LockGraph`, and :mod:`gate.collect.python.graph` decides
direct/transitive and scope the same way for all of them.

A project is a folder holding a ``pyproject.toml`` or a Python lockfile or requirements file. A manifest whose
folder has no lockfile is recorded with ``lockfile=None`` and its declared dependencies become components
(unpinned unless declared with ``==``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gate.collect import Inventory
from gate.collect.python import pyproject, uvlock  # the other readers load with their first file
from gate.collect.python.graph import (
    LockGraph,
    Package,
    build_components,
    direct_keys,
    package_ref,
    valid_name,
)
from gate.model import CollectorError, CollectorRun, Component, Lockfile, Manifest, Project
from gate.purl import normalize_python_name, pypi_purl, ref_for
from gate.record import Record
from gate.safeio import display, read_text

LOCK_PRIORITY = ("uv.lock", "poetry.lock", "pylock.toml")


@dataclass(repr=False)
class _Folder(Record):
    path: Path
    pyproject: Path | None = None
    locks: list[Path] = field(default_factory=list)
    requirements: list[Path] = field(default_factory=list)


def base_dir(inventory: Inventory) -> Path:
    """The folder paths are shown relative to: the target, or the folder of a target that is one file."""
    return inventory.root if inventory.root.is_dir() else inventory.root.parent


def _rel(inventory: Inventory, path: Path) -> str:
    return display(path, base_dir(inventory)) if path.resolve() != base_dir(inventory).resolve() else "."


def _is_pylock(name: str) -> bool:
    return name == "pylock.toml" or fnmatch.fnmatchcase(name, "pylock.*.toml")


def _is_requirements(path: Path) -> bool:
    name = path.name.lower()
    if not name.endswith(".txt"):
        return False
    return name.startswith("requirements") or path.parent.name.lower() == "requirements"


def discover(inventory: Inventory) -> list[_Folder]:
    """Project folders under the target, honouring ``--project`` and ``--exclude``."""
    folders: dict[Path, _Folder] = {}
    for path in inventory.walk():
        name = path.name
        if name == "pyproject.toml":
            folders.setdefault(path.parent, _Folder(path.parent)).pyproject = path
        elif name in ("uv.lock", "poetry.lock") or _is_pylock(name):
            folders.setdefault(path.parent, _Folder(path.parent)).locks.append(path)
        elif _is_requirements(path):
            owner = (
                path.parent.parent
                if path.parent.name.lower() == "requirements" and path.parent != inventory.root
                else path.parent
            )
            folders.setdefault(owner, _Folder(owner)).requirements.append(path)
    wanted = inventory.settings.projects
    if wanted:
        base = inventory.root if inventory.root.is_dir() else inventory.root.parent
        targets = {(base / p).resolve() if not Path(p).is_absolute() else Path(p).resolve() for p in wanted}
        folders = {k: v for k, v in folders.items() if k.resolve() in targets}
    return [folders[k] for k in sorted(folders)]


def _lock_rank(path: Path) -> tuple[int, str]:
    name = path.name
    return (LOCK_PRIORITY.index(name) if name in LOCK_PRIORITY else len(LOCK_PRIORITY), name)


class PythonCollector:
    name = "python"

    def __init__(self) -> None:
        # uv.lock graphs read so far, by folder: members of a uv workspace are locked by the root's lock.
        self._workspaces: dict[Path, tuple[LockGraph, str, str]] = {}
        # poetry.lock [metadata] content-hash by lockfile: ties each lock to the pyproject it was made from.
        self._content_hashes: dict[str, str] = {}

    def collect(self, inventory: Inventory) -> CollectorRun:
        errors: list[CollectorError] = []
        notes: list[str] = []
        counts: dict[str, int] = {}
        used_refs = {p.ref for p in inventory.projects}
        components: list[Component] = []
        for folder in discover(inventory):
            project, comps = self._project(inventory, folder, errors, notes, counts, used_refs)
            if project is None:
                continue
            used_refs.add(project.ref)
            inventory.projects.append(project)
            components.extend(comps)
        env = inventory.settings.python_env
        if env is not None:
            project, comps = self._environment(inventory, env, notes, counts, used_refs)
            inventory.projects.append(project)
            components.extend(comps)
        inventory.components.extend(components)
        stats: dict[str, object] = {
            "projects": sum(1 for p in inventory.projects if p.ecosystem == "pypi"),
            "components": len({c.ref for c in components}),
            "production": len({c.ref for c in components if c.scope == "required"}),
            "dev": len({c.ref for c in components if c.scope == "dev"}),
            "optional": len({c.ref for c in components if c.scope == "optional"}),
            "unpinned": len({c.ref for c in components if not c.pinned}),
            "files": dict(sorted(counts.items())),
        }
        if notes:
            stats["notes"] = sorted(set(notes))
        if self._content_hashes:
            stats["content_hashes"] = dict(sorted(self._content_hashes.items()))
        return CollectorRun(
            name=self.name,
            status="incomplete" if errors else "ok",
            errors=tuple(errors),
            stats=stats,
        )

    # -- one project folder ------------------------------------------------------------------------
    def _project(
        self,
        inventory: Inventory,
        folder: _Folder,
        errors: list[CollectorError],
        notes: list[str],
        counts: dict[str, int],
        used_refs: set[str],
    ) -> tuple[Project | None, list[Component]]:
        rel_dir = _rel(inventory, folder.path)
        pp: pyproject.PyProject | None = None
        if folder.pyproject is not None:
            shown = _rel(inventory, folder.pyproject)
            pp = pyproject.parse(read_text(folder.pyproject, shown=shown), shown)
            counts["pyproject.toml"] = counts.get("pyproject.toml", 0) + 1
            errors.extend(CollectorError(msg, shown, line) for msg, line in pp.errors)
            if (
                pp.name is None
                and not folder.locks
                and not folder.requirements
                and not (pp.production or pp.groups)
            ):
                return None, []  # a tool-configuration-only pyproject.toml (no project, no dependencies)
        graphs: list[tuple[LockGraph, set[str] | None]] = []
        locked: list[tuple[str, str, int]] = []  # (path, kind, packages) of each lockfile read
        lockfiles: list[Lockfile] = []
        uv_graph: tuple[LockGraph, str] | None = None
        manifests: list[Manifest] = []
        for lock in sorted(folder.locks, key=_lock_rank):
            shown = _rel(inventory, lock)
            text = read_text(lock, shown=shown)
            if lock.name == "uv.lock":
                graph = uvlock.parse(text, shown)
                if pp is not None:
                    _promote_default_groups(graph, pp.default_groups)
                direct = None
                uv_graph = (graph, shown)
            elif lock.name == "poetry.lock":
                from gate.collect.python import poetrylock

                graph, meta = poetrylock.parse(text, shown)
                if isinstance(meta.get("content-hash"), str):
                    self._content_hashes[shown] = meta["content-hash"]
                if pp is not None and (pp.production or pp.optional or pp.groups):
                    graph.production = [d.edge() for d in pp.production]
                    graph.optional = {k: [d.edge() for d in v] for k, v in pp.optional.items()}
                    graph.dev = {k: [d.edge() for d in v] for k, v in pp.groups.items()}
                else:
                    poetrylock.flat_scopes_from_groups(graph)
                direct = pp.declared_names() if pp else set()
            else:
                from gate.collect.python import pylock

                graph = pylock.parse(text, shown)
                direct = pp.declared_names() if pp else (direct_keys(graph) if graph.has_edges else set())
            counts[graph.kind] = counts.get(graph.kind, 0) + 1
            notes.extend(f"{shown}: {w}" for w in graph.warnings)
            graphs.append((graph, direct))
            locked.append((shown, graph.kind, sum(1 for p in graph.packages if not p.is_root)))
            if pp is not None:
                names = {p.key for p in graph.packages}
                missing = sorted(k for k in pp.declared_names() if k not in names)
                if missing and graph.kind != "pylock.toml":
                    notes.append(f"{shown}: declared in {pp.file} but not locked: {', '.join(missing)}")
        # The project's identity: pyproject.toml, else the root package of its uv.lock, else its folder.
        name, version, purl = None, None, None
        if pp is not None and pp.name and valid_name(pp.name):
            name, version = pp.name, pp.version
        elif uv_graph is not None:
            roots = [p for p in uv_graph[0].packages if p.is_root]
            if len(roots) == 1 and valid_name(roots[0].name):
                name, version = roots[0].name, roots[0].version
        if name is not None:
            purl = pypi_purl(name, version)
        name = name or folder.path.name or "project"
        ref = ref_for(purl, "") if purl else ref_for(None, f"python-project:{rel_dir}")
        if ref in used_refs:
            ref = ref_for(None, f"python-project:{rel_dir}")
        if uv_graph is not None:
            self._workspaces[folder.path] = (uv_graph[0], ref, uv_graph[1])
        lockfiles.extend(Lockfile(path=p, kind=k, project=ref, packages=n) for p, k, n in locked)
        pinned_requirements: list[str] = []
        for req_path in sorted(folder.requirements):
            from gate.collect.python import requirements

            result = requirements.parse(req_path, base_dir(inventory), project_dir=folder.path)
            counts["requirements"] = counts.get("requirements", 0) + 1
            errors.extend(CollectorError(msg, f, line) for msg, f, line in result.errors)
            graph = result.graph
            shown = graph.file
            fully_pinned = bool(graph.packages) and all(p.pinned for p in graph.packages)
            if fully_pinned:
                lockfiles.append(
                    Lockfile(path=shown, kind="requirements", project=ref, packages=len(graph.packages))
                )
                if not requirements.is_dev_file(shown):
                    pinned_requirements.append(shown)
            else:
                manifests.append(Manifest(path=shown, kind="requirements", project=ref, lockfile=None))
            graphs.append((graph, None))
        lock_for_pyproject = (
            lockfiles[0].path
            if lockfiles and lockfiles[0].kind != "requirements"
            else (pinned_requirements[0] if pinned_requirements else None)
        )
        parent: str | None = None
        member_direct: set[str] = set()
        if pp is not None and lock_for_pyproject is None and pp.name:
            found = self._workspace_of(inventory, folder.path, pp.name)
            if found is not None:
                # A uv workspace member: locked by the workspace root's uv.lock, whose components it shares.
                lock_for_pyproject, parent, member_direct = found
        if pp is not None:
            manifests.insert(
                0, Manifest(path=pp.file, kind="pyproject", project=ref, lockfile=lock_for_pyproject)
            )
            if lock_for_pyproject is None:
                graphs.append((pyproject.declared_graph(pp), pp.declared_names()))
        components: list[Component] = []
        for graph, direct in graphs:
            components.extend(build_components(graph, ref, direct_names=direct))
        member_direct |= {c.ref for c in components if c.direct}
        project = Project(
            ref=ref,
            name=name,
            version=version,
            ecosystem="pypi",
            path=rel_dir,
            manifests=tuple(m.path for m in manifests),
            lockfiles=tuple(lf.path for lf in lockfiles)
            or ((lock_for_pyproject,) if parent and lock_for_pyproject else ()),
            direct=tuple(sorted(member_direct)),
            entry_points=dict(pp.scripts) if pp else {},
            purl=purl,
            parent=parent,
        )
        inventory.manifests.extend(manifests)
        inventory.lockfiles.extend(lockfiles)
        return project, components

    def _workspace_of(
        self, inventory: Inventory, folder: Path, name: str
    ) -> tuple[str, str, set[str]] | None:
        """(root lockfile, root project ref, the member's direct refs) when ``folder`` is a member of a uv
        workspace whose root (an ancestor inside the target) was read."""
        key = normalize_python_name(name)
        root = base_dir(inventory).resolve()
        for ancestor in folder.parents:
            if ancestor in self._workspaces:
                graph, root_ref, lock_rel = self._workspaces[ancestor]
                for pkg in graph.packages:
                    if pkg.key == key and pkg.source.kind == "path":
                        by_key: dict[str, list[Package]] = {}
                        for other in graph.packages:
                            by_key.setdefault(other.key, []).append(other)
                        direct = {
                            package_ref(target)
                            for e in pkg.dependencies
                            for target in by_key.get(e.key, [])
                            if not target.is_root
                        }
                        return lock_rel, root_ref, direct
            if ancestor.resolve() == root:
                break
        return None

    # -- an installed environment ------------------------------------------------------------------
    def _environment(
        self, inventory: Inventory, env: Path, notes: list[str], counts: dict[str, int], used_refs: set[str]
    ) -> tuple[Project, list[Component]]:
        from gate.collect.python import installed

        env = env.resolve()
        inside = _rel(inventory, env)
        shown = inside if not Path(inside).is_absolute() else env.name
        graph, files = installed.parse(env, shown)
        counts["python-env"] = 1
        counts["installed-files"] = files
        notes.extend(graph.warnings)
        ref = ref_for(None, f"python-env:{shown}")
        components = build_components(graph, ref)
        project = Project(
            ref=ref,
            name=env.name,
            version=None,
            ecosystem="pypi",
            path=shown,
            direct=tuple(sorted(c.ref for c in components if c.direct)),
            extra={"kind": "installed-environment"},
        )
        return project, components


def _promote_default_groups(graph: LockGraph, default_groups: Iterable[str]) -> None:
    """Groups uv installs by default besides ``dev`` (``[tool.uv] default-groups``) are kept by
    ``uv export --no-dev``: they are production roots."""
    for group in default_groups:
        if group != "dev" and group in graph.dev:
            graph.production.extend(graph.dev[group])
