"""Node.js inventory: every npm, pnpm, yarn and bun project under the target, read statically.

Discovery walks the target (``Inventory.walk``: no ``node_modules/``, virtualenvs, VCS folders or, unless
``--include-tests``, test and example folders; ``--exclude`` and ``--project`` narrow it), finds the
lockfiles and ``package.json`` manifests, and reads each lockfile with the reader of its format into a
:class:`~gate.collect.node.graph.LockGraph`. Each importer of a lockfile (the root and its workspaces)
becomes a :class:`~gate.model.Project` (workspaces nested under the root); each installed package becomes
a :class:`~gate.model.Component` whose scope says whether ``npm ci --omit=dev`` / ``pnpm install --prod``
would install it. A ``package.json`` that no lockfile covers is a project without a lock: its declared
dependencies become unpinned components.

An installed tree is read when the user points at one: ``--node-modules PATH`` (a ``node_modules`` folder
or the project folder holding it), or a target that is itself a ``node_modules`` folder. Nothing is ever
executed; no network.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate import safeio
from gate.collect import TEST_DIRS, Inventory, is_excluded
from gate.errors import InputError
from gate.lazyre import lazy
from gate.model import (
    CollectorError,
    CollectorRun,
    CollectorStatus,
    Component,
    Location,
    Manifest,
    Project,
    Source,
)
from gate.purl import npm_purl, ref_for

if TYPE_CHECKING:
    from gate.collect.node.graph import LockGraph

# Lockfile names, in the order used when one folder holds several (unless package.json says which
# package manager it uses).
LOCKFILES = {
    "pnpm-lock.yaml": "pnpm",
    "bun.lock": "bun",
    "yarn.lock": "yarn",
    "npm-shrinkwrap.json": "npm",
    "package-lock.json": "npm",
}
MAX_MANIFEST_BYTES = 8 * safeio.MiB


class NodeCollector:
    name = "node"

    def collect(self, inventory: Inventory) -> CollectorRun:
        return _Run(inventory).run()


class _Run:
    def __init__(self, inventory: Inventory) -> None:
        self.inv = inventory
        self.root = inventory.root.resolve()
        self.errors: list[CollectorError] = []
        self.incomplete = False
        self.stats: dict[str, Any] = {"lockfiles": 0, "projects": 0, "components": 0, "scope_mismatches": 0}
        self.manifest_cache: dict[str, dict[str, Any] | None] = {}
        self.taken: set[str] = {p.ref for p in inventory.projects}
        wanted = []
        for p in inventory.settings.projects:
            pp = Path(p)
            rel = self.inv.rel(pp if pp.is_absolute() else self.root / pp)
            wanted.append(posixpath.normpath(rel))
        self.wanted = wanted
        self.covered: set[str] = set()  # folders whose package.json an installed tree already accounts for

    # -- selection -----------------------------------------------------------------------------------
    def selected(self, rel: str) -> bool:
        if not self.inv.settings.include_tests and any(part.lower() in TEST_DIRS for part in rel.split("/")):
            return False
        if rel != "." and is_excluded(rel, self.inv.settings.excludes):
            return False
        if not self.wanted:
            return True
        return any(w == "." or rel == w or rel.startswith(w + "/") for w in self.wanted)

    def may_contain_selected(self, rel: str) -> bool:
        if not self.wanted:
            return True
        return any(
            w == "." or rel == "." or w == rel or w.startswith(rel + "/") or rel.startswith(w + "/")
            for w in self.wanted
        )

    # -- main -----------------------------------------------------------------------------------------
    def run(self) -> CollectorRun:
        target = self.root
        nm_option = self.inv.settings.option("node_modules")
        installed = target if target.is_dir() and target.name == "node_modules" else None
        if installed is None and nm_option:
            p = Path(nm_option)
            installed = p if p.name == "node_modules" else p / "node_modules"
            if not installed.is_dir():
                raise InputError("not a node_modules folder (nor a folder holding one)", path=str(nm_option))
            if safeio.is_within(installed.parent, self.root):
                # The installed tree accounts for its project's package.json (no "unlocked manifest").
                self.covered.add(self.inv.rel(installed.parent))
        if target.is_dir() and target.name != "node_modules":
            self.read_tree()
        if installed is not None:
            self.read_installed_tree(installed)
        self.nest_other_projects()
        status: CollectorStatus = "incomplete" if self.incomplete else "ok"
        if not self.stats["lockfiles"] and not self.stats["projects"]:
            return CollectorRun(
                name="node", status="skipped", reason="no Node project found", stats=self.stats
            )
        return CollectorRun(name="node", status=status, errors=tuple(self.errors), stats=self.stats)

    def read_tree(self) -> None:
        lockfiles: dict[str, list[Path]] = {}
        manifests: dict[str, Path] = {}
        for path in self.inv.walk():
            name = path.name
            if name in LOCKFILES or name == "bun.lockb":
                lockfiles.setdefault(self.inv.rel(path.parent), []).append(path)
            elif name == "package.json":
                manifests[self.inv.rel(path.parent)] = path
        covered: set[str] = set(self.covered)
        for folder in sorted(lockfiles, key=lambda d: (d.count("/"), d)):
            if not self.may_contain_selected(folder):
                continue
            chosen = self.choose_lockfile(folder, lockfiles[folder], manifests.get(folder))
            if chosen is None:
                continue
            covered.update(self.read_lockfile(chosen, folder, manifests))
        for folder in sorted(manifests, key=lambda d: (d.count("/"), d)):
            if folder in covered or not self.selected(folder):
                continue
            self.read_unlocked_manifest(folder, manifests[folder], manifests)

    def choose_lockfile(self, folder: str, paths: list[Path], manifest: Path | None) -> Path | None:
        by_name = {p.name: p for p in paths}
        if "bun.lockb" in by_name and "bun.lock" not in by_name:
            self.incomplete = True
            self.errors.append(
                CollectorError(
                    "bun.lockb is a binary lockfile and is not read; commit the text lockfile "
                    "(bun install --save-text-lockfile) to inventory it",
                    file=self.inv.rel(by_name["bun.lockb"]),
                )
            )
        candidates = [n for n in LOCKFILES if n in by_name]
        if not candidates:
            return None
        pm = None
        if manifest is not None:
            doc = self.manifest(manifest)
            if doc and isinstance(doc.get("packageManager"), str):
                pm = doc["packageManager"].split("@", 1)[0]
        pick = next((n for n in candidates if LOCKFILES[n] == pm), candidates[0])
        if len(candidates) > 1:
            self.stats.setdefault("ignored_lockfiles", []).extend(
                self.inv.rel(by_name[n]) for n in candidates if n != pick
            )
        return by_name[pick]

    def manifest(self, path: Path) -> dict[str, Any] | None:
        key = str(path)
        if key not in self.manifest_cache:
            doc = safeio.load_json(path, shown=self.inv.rel(path), max_bytes=MAX_MANIFEST_BYTES)
            self.manifest_cache[key] = doc if isinstance(doc, dict) else None
            if not isinstance(doc, dict):
                raise InputError("expected a JSON object at the top level", path=self.inv.rel(path))
        return self.manifest_cache[key]

    def default_registry(self, folder: Path) -> str | None:
        for d in (folder, self.root):
            npmrc = d / ".npmrc"
            if npmrc.is_file() and not npmrc.is_symlink():
                text = safeio.read_text(npmrc, max_bytes=safeio.MiB, shown=self.inv.rel(npmrc))
                m = re.search(r"^\s*registry\s*=\s*(\S+)", text, re.MULTILINE)
                if m:
                    return m.group(1)
            yarnrc = d / ".yarnrc.yml"
            if yarnrc.is_file() and not yarnrc.is_symlink():
                text = safeio.read_text(yarnrc, max_bytes=safeio.MiB, shown=self.inv.rel(yarnrc))
                m = re.search(r"^npmRegistryServer:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
                if m:
                    return m.group(1)
        return None

    # -- one lockfile ---------------------------------------------------------------------------------
    def read_lockfile(self, path: Path, folder: str, manifests: dict[str, Path]) -> set[str]:
        shown = self.inv.rel(path)
        root_manifest_path = manifests.get(folder)
        root_manifest = self.manifest(root_manifest_path) if root_manifest_path else None
        registry = self.default_registry(path.parent)
        text = safeio.read_text(path, shown=shown)
        graph = self.parse(path.name, text, shown, root_manifest, registry, folder, manifests)
        return self.add_graph(graph, path, folder, manifests, registry)

    def parse(
        self,
        name: str,
        text: str,
        shown: str,
        root_manifest: dict[str, Any] | None,
        registry: str | None,
        folder: str,
        manifests: dict[str, Path],
    ) -> LockGraph:
        # Each reader is imported with the first lockfile of its format: most targets have none.
        if name in ("package-lock.json", "npm-shrinkwrap.json"):
            from gate.collect.node.npm import parse_package_lock

            doc = safeio.parse_json(text, shown)
            kind = "npm-shrinkwrap" if name == "npm-shrinkwrap.json" else "package-lock"
            return parse_package_lock(doc, text, shown, kind=kind, manifest=root_manifest)
        if name == "pnpm-lock.yaml":
            from gate.collect.node.common import load_yaml_fast
            from gate.collect.node.pnpm import parse_pnpm_lock

            return parse_pnpm_lock(load_yaml_fast(text, shown), text, shown, default_registry=registry)
        if name == "bun.lock":
            from gate.collect.node.bun import parse_bun_lock
            from gate.collect.node.common import parse_jsonc

            return parse_bun_lock(parse_jsonc(text, shown), text, shown, default_registry=registry)
        # yarn.lock: berry is YAML with __metadata; classic is its own format.
        from gate.collect.node.yarn import parse_yarn_berry, parse_yarn_classic

        ws = self.workspace_manifests(folder, root_manifest, manifests)
        if "__metadata:" in text[:4096]:
            from gate.collect.node.common import load_yaml_fast

            return parse_yarn_berry(
                load_yaml_fast(text, shown), text, shown, workspaces=ws, default_registry=registry
            )
        return parse_yarn_classic(text, shown, workspaces=ws)

    def workspace_manifests(
        self, folder: str, root_manifest: dict[str, Any] | None, manifests: dict[str, Path]
    ) -> dict[str, dict[str, Any]]:
        """The root's and its workspaces' package.json, by path relative to the lockfile's folder."""
        from gate.collect.node.common import workspace_match

        out: dict[str, dict[str, Any]] = {}
        if root_manifest is not None:
            out["."] = root_manifest
            globs = root_manifest.get("workspaces")
            if isinstance(globs, dict):
                globs = globs.get("packages")
            if isinstance(globs, list):
                prefix = "" if folder == "." else folder + "/"
                for d, p in manifests.items():
                    if d == folder or (prefix and not d.startswith(prefix)):
                        continue
                    sub = d[len(prefix) :]
                    if workspace_match(sub, globs):
                        doc = self.manifest(p)
                        if doc is not None:
                            out[sub] = doc
        return out

    def add_graph(
        self, graph: LockGraph, path: Path, folder: str, manifests: dict[str, Path], registry: str | None
    ) -> set[str]:
        from gate.collect.node.common import url_escapes
        from gate.collect.node.graph import Context, build

        shown = self.inv.rel(path)
        base = path.parent
        # Importers outside the target are never read; packages from local folders outside it are flagged.
        for p in list(graph.importers):
            rel = posixpath.normpath(posixpath.join(folder, p))
            if rel == ".." or rel.startswith("../"):
                imp = graph.importers[p]
                self.escape(f"workspace {p!r} lies outside the target", shown, imp.line)
        covered = set()
        for node in graph.nodes.values():
            src = node.source
            if not src or src.kind != "path":
                continue
            spec = src.url or node.local_path
            if spec and url_escapes(spec, base, self.root):
                node.extra["outside_target"] = True
                self.escape(f"{node.name}: local package {spec!r} lies outside the target", shown, node.line)
            elif node.local_path and not node.local_path.endswith((".tgz", ".tar.gz", ".tar")):
                # A folder of the repository the lockfile installs from: its package.json is covered here.
                local = posixpath.normpath(posixpath.join(folder, node.local_path))
                covered.add(local)
                if node.version is None and local in manifests:
                    doc = self.manifest(manifests[local]) or {}
                    node.version = doc.get("version") if isinstance(doc.get("version"), str) else None
        selected = set()
        man_rel: dict[str, str] = {}
        for p, imp in graph.importers.items():
            rel = posixpath.normpath(posixpath.join(folder, p))
            covered.add(rel)
            if rel in manifests:
                man_rel[p] = self.inv.rel(manifests[rel])
                if not imp.name:
                    doc = self.manifest(manifests[rel]) or {}
                    imp.name = doc.get("name") if isinstance(doc.get("name"), str) else None
                    imp.version = doc.get("version") if isinstance(doc.get("version"), str) else imp.version
            if self.selected(rel) and not (rel == ".." or rel.startswith("../")):
                selected.add(p)
        if not selected:
            return covered
        ctx = Context(
            lockfile=shown,
            base=folder,
            manifests=man_rel,
            selected=selected if selected != set(graph.importers) else None,
            default_registry=(registry or "https://registry.npmjs.org").rstrip("/"),
            parent=self.enclosing_project(folder),
        )
        built = build(graph, ctx)
        # Keep project refs unique across lockfiles (two copies of one package in a repository).
        renames = {}
        for proj in built.projects:
            if proj.ref in self.taken:
                renames[proj.ref] = ref_for(None, f"node-project:{proj.path}")
        if renames:
            built.projects = [
                replace(p, ref=renames.get(p.ref, p.ref), parent=renames.get(p.parent or "", p.parent))
                for p in built.projects
            ]
            built.components = [
                replace(
                    c,
                    projects=tuple(sorted(renames.get(x, x) for x in c.projects)),
                    dependencies=tuple(sorted(renames.get(x, x) for x in c.dependencies)),
                )
                for c in built.components
            ]
            built.manifests = [replace(m, project=renames.get(m.project, m.project)) for m in built.manifests]
        self.taken.update(p.ref for p in built.projects)
        self.inv.projects.extend(built.projects)
        self.inv.components.extend(built.components)
        self.inv.manifests.extend(built.manifests)
        if built.lockfile is not None:
            lf = built.lockfile
            self.inv.lockfiles.append(replace(lf, project=renames.get(lf.project, lf.project)))
        self.stats["lockfiles"] += 1
        self.stats["projects"] += len(built.projects)
        self.stats["components"] += len(built.components)
        self.stats["scope_mismatches"] += built.mismatches
        if built.skipped_importers:
            self.stats.setdefault("skipped_workspaces", []).extend(
                posixpath.normpath(posixpath.join(folder, p)) for p in built.skipped_importers
            )
        if graph.unresolved:
            self.incomplete = True
            head = ", ".join(graph.unresolved[:5])
            more = f" and {len(graph.unresolved) - 5} more" if len(graph.unresolved) > 5 else ""
            self.errors.append(
                CollectorError(
                    f"{len(graph.unresolved)} dependencies are not in the lockfile (out of date?): {head}{more}",
                    file=shown,
                )
            )
        for w in graph.warnings:
            self.errors.append(CollectorError(w, file=shown))
        return covered

    def nest_other_projects(self) -> None:
        """Mixed repositories: a project of another ecosystem found earlier (a Python server in a folder of
        an npm monorepo) without a parent is nested under the deepest Node project that contains it."""
        mine = [p for p in self.inv.projects if p.ecosystem == "npm"]
        if not mine:
            return
        for i, other in enumerate(self.inv.projects):
            if other.ecosystem == "npm" or other.parent is not None or other.path == ".":
                continue
            best: tuple[int, str] | None = None
            for p in mine:
                if p.path == "." or other.path.startswith(p.path + "/"):
                    depth = 0 if p.path == "." else p.path.count("/") + 1
                    if best is None or depth > best[0]:
                        best = (depth, p.ref)
            if best is not None:
                self.inv.projects[i] = replace(other, parent=best[1])

    def escape(self, message: str, shown: str, line: int | None) -> None:
        self.incomplete = True
        self.errors.append(CollectorError(message, file=shown, line=line))

    def enclosing_project(self, folder: str) -> str | None:
        best: tuple[int, str] | None = None
        for p in self.inv.projects:
            if p.path == folder:
                continue
            if p.path == "." or folder.startswith(p.path + "/"):
                depth = 0 if p.path == "." else p.path.count("/") + 1
                if best is None or depth > best[0]:
                    best = (depth, p.ref)
        return best[1] if best else None

    # -- a package.json without a lockfile ------------------------------------------------------------
    def read_unlocked_manifest(self, folder: str, path: Path, manifests: dict[str, Path]) -> None:
        doc = self.manifest(path)
        if doc is None:
            return
        name = doc.get("name") if isinstance(doc.get("name"), str) else None
        groups = [
            ("dependencies", "required"),
            ("optionalDependencies", "optional"),
            ("peerDependencies", "peer"),
            ("devDependencies", "dev"),
        ]
        has_deps = any(isinstance(doc.get(g), dict) and doc.get(g) for g, _ in groups)
        if not name and not has_deps:
            return  # a marker file ({"type": "module"}), not a project
        from gate.collect.node.graph import project_ref

        version = doc.get("version") if isinstance(doc.get("version"), str) else None
        shown = self.inv.rel(path)
        ref = project_ref(name, version, folder)
        if ref in self.taken:
            ref = ref_for(None, f"node-project:{folder}")
        self.taken.add(ref)
        text = safeio.read_text(path, shown=shown, max_bytes=MAX_MANIFEST_BYTES)
        lines = _dep_lines(text)
        direct = []
        for group, scope in groups:
            deps = doc.get(group)
            if not isinstance(deps, dict):
                continue
            for dep, spec in sorted(deps.items()):
                spec_s = spec if isinstance(spec, str) else ""
                real, exact = _declared(dep, spec_s)
                source = _declared_source(real, spec_s)
                # A local folder or workspace is not a registry package: no purl, a ref of its own.
                purl = npm_purl(real, exact) if source.kind in ("registry", "url", "git") else None
                extra: dict[str, Any] = {"declared": spec_s}
                if real != dep:
                    extra["alias"] = dep
                comp = Component(
                    ref=ref_for(purl, f"npm-declared:{folder}:{dep}:{spec_s}"),
                    name=real,
                    version=exact,
                    ecosystem="npm",
                    purl=purl,
                    direct=True,
                    scope=scope,  # type: ignore[arg-type]
                    pinned=False,
                    source=source,
                    locations=(Location(file=shown, line=lines.get((group, dep))),),
                    projects=(ref,),
                    extra=extra,
                )
                self.inv.components.append(comp)
                direct.append(comp.ref)
        self.inv.projects.append(
            Project(
                ref=ref,
                name=name or folder.rsplit("/", 1)[-1],
                version=version,
                ecosystem="npm",
                path=folder,
                manifests=(shown,),
                direct=tuple(sorted(set(direct))),
                purl=npm_purl(name, version) if name else None,
                parent=self.enclosing_project(folder),
                extra={"package_manager": None, "workspace": False},
            )
        )
        self.inv.manifests.append(Manifest(path=shown, kind="package.json", project=ref, lockfile=None))
        self.stats["projects"] += 1
        self.stats["components"] += len(direct)

    # -- installed tree -------------------------------------------------------------------------------
    def read_installed_tree(self, nm: Path) -> None:
        from gate.collect.node.graph import Context, build
        from gate.collect.node.installed import read_installed

        inside = safeio.is_within(nm, self.root)
        # A tree outside the target is shown relative to its own project folder: no absolute paths in evidence.
        project_dir = nm.parent

        def rel(p: Path) -> str:
            return safeio.display(p, project_dir)

        graph, lockfile_shown = read_installed(
            nm, self.root if inside else project_dir, self.inv.rel if inside else rel
        )
        folder = self.inv.rel(nm.parent) if safeio.is_within(nm.parent, self.root) else "."
        ctx_manifests = {}
        pj = nm.parent / "package.json"
        if pj.is_file():
            ctx_manifests["."] = self.inv.rel(pj) if inside else rel(pj)
        ctx = Context(
            lockfile=lockfile_shown,
            base=folder,
            manifests=ctx_manifests,
            default_registry=(self.default_registry(nm.parent) or "https://registry.npmjs.org").rstrip("/"),
            parent=self.enclosing_project(folder),
        )
        built = build(graph, ctx)
        # A lockfile in the same folder already made the project: the installed packages belong to it.
        existing = next((p for p in self.inv.projects if p.path == folder and p.ecosystem == "npm"), None)
        if existing is not None:
            same = {p.ref: existing.ref for p in built.projects}
            built.components = [
                replace(
                    c,
                    projects=tuple(sorted({same.get(x, x) for x in c.projects})),
                    dependencies=tuple(sorted({same.get(x, x) for x in c.dependencies})),
                )
                for c in built.components
            ]
        else:
            self.taken.update(p.ref for p in built.projects)
            self.inv.projects.extend(replace(p, extra={**p.extra, "installed": True}) for p in built.projects)
            self.inv.manifests.extend(built.manifests)
        self.inv.components.extend(replace(c, extra={**c.extra, "installed": True}) for c in built.components)
        if built.lockfile is not None:
            self.inv.lockfiles.append(built.lockfile)
        self.stats["lockfiles"] += 1
        self.stats["installed_packages"] = len(built.components)
        self.stats["projects"] += len(built.projects)
        self.stats["components"] += len(built.components)
        for w in graph.warnings:
            self.incomplete = True
            self.errors.append(CollectorError(w, file=lockfile_shown))


_EXACT = lazy(r"^=?v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?)$")


def _declared(dep: str, spec: str) -> tuple[str, str | None]:
    """The package a manifest line names and its version when the line pins one exactly."""
    real = dep
    if spec.startswith("npm:"):
        i = spec.find("@", 5)
        real, spec = (spec[4:i], spec[i + 1 :]) if i > 0 else (spec[4:], "")
    m = _EXACT.match(spec.strip())
    return real, (m.group(1) if m else None)


def _declared_source(name: str, spec: str) -> Source:
    s = spec.strip()
    if s.startswith(("file:", "link:", "portal:", "workspace:")) or s.startswith((".", "/")):
        return Source(kind="path", url=s)
    if s.startswith(("git", "github:", "gitlab:", "bitbucket:")) or re.match(r"^[\w.-]+/[\w.-]+(#.*)?$", s):
        return Source(kind="git", url=s)
    if s.startswith(("http://", "https://")):
        return Source(kind="url", url=s)
    return Source(kind="registry", registry=None)


def _dep_lines(text: str) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    group = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        m = re.match(r'^\s*"(\w+)"\s*:\s*\{', raw)
        if m:
            group = m.group(1)
            continue
        m = re.match(r'^\s*"([^"]+)"\s*:\s*"', raw)
        if m and group:
            out.setdefault((group, m.group(1)), lineno)
    return out
