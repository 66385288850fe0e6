"""pip requirements files: pins (``==``, ``===``), ``--hash``, ``-r``/``-c`` includes, markers, extras,
``name @ url``, editable (``-e``) and VCS lines, and pip-compile's ``# via`` annotations as edges.

Nothing is resolved and pip is never run: a line that does not pin an exact version is still a component,
marked ``pinned=False``. Includes are followed inside the target only; a cycle is read once; an include
that leaves the target is reported and not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from gate.collect.python.graph import Edge, LockGraph, Package, check_requirement_text, parse_hash
from gate.errors import InputError
from gate.model import Hash, Source
from gate.purl import normalize_python_name
from gate.record import Record
from gate.safeio import display, is_within, load_toml, read_text

MAX_INCLUDES = 256
MAX_LINES = 200_000
_VCS = ("git+", "hg+", "svn+", "bzr+")
_DEV_NAME = re.compile(
    r"(^|[-_./])(dev|develop|development|test|tests|testing|lint|docs?|ci|typing|check)([-_./]|$)"
)
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")
_VIA_ONE = re.compile(r"^#\s+via\s+(.+)$")
_VIA_HEAD = re.compile(r"^#\s+via\s*$")
_VIA_ITEM = re.compile(r"^#\s{2,}(\S.*)$")
_ARCHIVE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.]*?)-(?P<version>\d[^-]*?)(-.*)?\.(whl|tar\.gz|zip|tar\.bz2)$"
)


def is_dev_file(name: str) -> bool:
    """``requirements-dev.txt``, ``requirements/test.txt``, ``dev-requirements.txt``..."""
    return bool(_DEV_NAME.search(name.lower().removesuffix(".txt").removesuffix(".in")))


@dataclass(repr=False)
class _Line(Record):
    text: str
    line: int
    comments: list[str] = field(default_factory=list)


def _logical_lines(text: str, shown: str) -> list[_Line]:
    """Join ``\\`` continuations, strip comments; keep comment-only lines for ``# via`` parsing."""
    out: list[_Line] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        if n > MAX_LINES:
            raise InputError(f"more than {MAX_LINES} lines", path=shown)
        stripped = raw.strip()
        if not buf and stripped.startswith("#"):
            if out:
                out[-1].comments.append(stripped)
            continue
        if not buf:
            start = n
        body, inline = raw, ""
        if "#" in raw:
            m = re.search(r"(^|\s)#", raw)
            if m:
                body, inline = raw[: m.start()], raw[m.end() - 1 :].strip()
        if body.rstrip().endswith("\\"):
            buf.append(body.rstrip()[:-1])
            continue
        buf.append(body)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            # pip-compile --annotation-style=line: "pkg==1.0  # via a, b" on the same line.
            out.append(_Line(joined, start, [inline] if inline else []))
    if buf:
        joined = " ".join(part.strip() for part in buf).strip()
        if joined:
            out.append(_Line(joined, start))
    return out


def _via(comments: list[str]) -> list[str]:
    parents: list[str] = []
    in_list = False
    for c in comments:
        m = _VIA_ONE.match(c)
        if m:
            parents.extend(p.strip() for p in m.group(1).split(",") if p.strip())
            in_list = False
            continue
        if _VIA_HEAD.match(c):
            in_list = True
            continue
        if in_list:
            m = _VIA_ITEM.match(c)
            if m:
                parents.append(m.group(1).strip())
            else:
                in_list = False
    return parents


def _split_options(text: str) -> tuple[str, list[str], bool]:
    """(requirement part, --hash values, editable)."""
    hashes = [m.group(1) for m in re.finditer(r"--hash[=\s]+(\S+)", text)]
    text = re.sub(r"--hash[=\s]+\S+", " ", text)
    editable = False
    m = re.match(r"^(-e|--editable)(\s+|=)(.*)$", text.strip())
    if m:
        editable = True
        text = m.group(3)
    # Per-requirement options pip accepts after the requirement (--config-settings, --global-option...).
    text = re.split(r"\s--?[A-Za-z]", " " + text, maxsplit=1)[0]
    return text.strip(), hashes, editable


def _from_url(url: str) -> tuple[str | None, str | None]:
    """(name, version) from a VCS ``#egg=`` fragment or an archive file name."""
    m = _EGG.search(url)
    if m:
        return m.group(1), None
    path = urlsplit(url).path if "://" in url else url
    m = _ARCHIVE.match(path.rsplit("/", 1)[-1])
    if m:
        return m.group("name"), m.group("version")
    return None, None


def _local_project(folder: Path, root: Path) -> tuple[str | None, str | None]:
    """(name, version) of a local project directory, read from its pyproject.toml (inside the target)."""
    manifest = folder / "pyproject.toml"
    if not manifest.is_file() or not is_within(manifest, root):
        return None, None
    doc = load_toml(manifest, shown=display(manifest, root))
    project = doc.get("project") if isinstance(doc.get("project"), dict) else None
    poetry = doc.get("tool", {}).get("poetry") if isinstance(doc.get("tool"), dict) else None
    for table in (project, poetry):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            version = table.get("version")
            return table["name"], version if isinstance(version, str) else None
    return None, None


@dataclass(repr=False)
class RequirementsResult(Record):
    graph: LockGraph
    files: list[str]  # every file read (the top file and its includes), relative
    errors: list[tuple[str, str, int | None]] = field(default_factory=list)  # (message, file, line)
    constraints: dict[str, str] = field(default_factory=dict)


class _Reader:
    def __init__(self, root: Path, scope: str) -> None:
        self.root = root
        self.scope = scope
        self.seen: set[Path] = set()
        self.files: list[str] = []
        self.errors: list[tuple[str, str, int | None]] = []
        self.packages: list[Package] = []
        self.parents: list[list[str]] = []
        self.constraints: dict[str, tuple[str, bool]] = {}
        self.project_dir: Path | None = None
        self.current_dir: Path = root

    def shown(self, path: Path) -> str:
        return display(path, self.root)

    def read(self, path: Path, *, constraint: bool, origin: tuple[str, int] | None) -> None:
        resolved = path.resolve()
        if resolved in self.seen:
            return  # an include cycle, or a file included twice: read once
        if not is_within(resolved, self.root):
            where = origin or (self.shown(path), None)
            self.errors.append((f"include {path.name} leaves the target; not read", where[0], where[1]))
            return
        if len(self.seen) >= MAX_INCLUDES:
            raise InputError(f"more than {MAX_INCLUDES} included requirements files", path=self.shown(path))
        if not resolved.is_file():
            where = origin or (self.shown(path), None)
            self.errors.append((f"included file {self.shown(path)} does not exist", where[0], where[1]))
            return
        self.seen.add(resolved)
        shown = self.shown(resolved)
        self.files.append(shown)
        text = read_text(resolved, shown=shown)
        if not text.strip():
            raise InputError("empty requirements file", path=shown)
        outer = self.current_dir
        self.current_dir = resolved.parent
        try:
            for ln in _logical_lines(text, shown):
                self.line(ln, resolved, shown, constraint=constraint)
        finally:
            self.current_dir = outer

    def line(self, ln: _Line, path: Path, shown: str, *, constraint: bool) -> None:
        text = ln.text
        m = re.match(r"^(-r|--requirement|-c|--constraint)(\s+|=)(\S+)", text)
        if m:
            is_constraint = m.group(1) in ("-c", "--constraint")
            self.read(
                path.parent / m.group(3), constraint=constraint or is_constraint, origin=(shown, ln.line)
            )
            return
        if text.startswith("-") and not re.match(r"^(-e|--editable)\b", text):
            # Global options (--index-url, --extra-index-url, -f, --pre, --no-binary ...): no package.
            return
        req_text, hash_values, editable = _split_options(text)
        if not req_text:
            return
        hashes: list[Hash] = []
        for value in hash_values:
            h = parse_hash(value)
            if h is None:
                raise InputError(
                    f"line {ln.line}: invalid --hash {value[:90]!r} (truncated or corrupted?)", path=shown
                )
            hashes.append(h)
        pkg = self.package(req_text, editable, tuple(hashes), shown, ln.line)
        if pkg is None:
            return
        if constraint:
            if pkg.pinned and pkg.version:
                self.constraints[pkg.key] = (pkg.version, bool(pkg.hashes))
            return
        self.packages.append(pkg)
        self.parents.append(_via(ln.comments))

    def package(
        self, text: str, editable: bool, hashes: tuple[Hash, ...], shown: str, line: int
    ) -> Package | None:
        lowered = text.lower()
        is_url = (
            lowered.startswith(_VCS)
            or "://" in text.split(";")[0].split(" @ ")[0]
            or text.startswith((".", "/", "file:"))
        )
        if is_url and " @ " not in text:
            url = text.split(";", 1)[0].strip()
            name, version = _from_url(url)
            if name is None and "://" not in url and not lowered.startswith(_VCS):
                local = (self.current_dir / url.removeprefix("file:")).resolve()
                if self.project_dir is not None and local == self.project_dir.resolve():
                    return None  # "-e ." / "." : the project itself, not a dependency
                name, version = _local_project(local, self.root)
            if name is None:
                self.errors.append((f"cannot tell the package name of {url!r}", shown, line))
                tail = url.split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                name = re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-._") or "unknown"
            return self._url_package(name, version, url, editable, hashes, shown, line, None)
        check_requirement_text(text, shown, line)
        try:
            req = Requirement(text)
        except InvalidRequirement as e:
            # pip refuses the whole file on such a line: so do we, naming the line.
            first = str(e).splitlines()[0]
            raise InputError(f"line {line}: invalid requirement {text[:80]!r}: {first}", path=shown) from e
        marker = str(req.marker) if req.marker else None
        if req.url:
            pkg = self._url_package(req.name, None, req.url, editable, hashes, shown, line, marker)
            pkg.extras = tuple(sorted(req.extras))
            return pkg
        specs = list(req.specifier)
        version = None
        pinned = False
        if len(specs) == 1 and specs[0].operator in ("==", "===") and not specs[0].version.endswith(".*"):
            version = specs[0].version
            pinned = True
        pkg = Package(
            name=req.name,
            version=version,
            source=Source(kind="registry"),
            hashes=hashes,
            line=line,
            pinned=pinned,
            markers=marker,
            extras=tuple(sorted(req.extras)),
        )
        pkg.specifier = str(req.specifier) or None
        pkg.file = shown
        return pkg

    def _url_package(
        self,
        name: str,
        version: str | None,
        url: str,
        editable: bool,
        hashes: tuple[Hash, ...],
        shown: str,
        line: int,
        marker: str | None,
    ) -> Package:
        lowered = url.lower()
        if lowered.startswith(_VCS):
            rev = url.split("@")[-1].split("#")[0] if url.count("@") >= 1 else ""
            pinned = bool(re.fullmatch(r"[0-9a-f]{40}", rev))
            source = Source(kind="git" if lowered.startswith("git+") else "url", url=url)
        elif "://" in url and not lowered.startswith("file:"):
            # pip checks a "#sha256=..." fragment like a --hash.
            m = re.search(r"#(?:.*&)?(sha256|sha384|sha512)=([0-9a-fA-F]+)", url)
            fragment = parse_hash(f"{m.group(1)}:{m.group(2)}") if m else None
            if fragment is not None and fragment not in hashes:
                hashes = (*hashes, fragment)
            pinned = bool(hashes)
            source = Source(kind="url", url=url)
        else:
            local = url.removeprefix("file://").removeprefix("file:")
            pinned = not editable and bool(hashes)
            source = Source(kind="path", url=local)
        return Package(
            name=name,
            version=version,
            source=source,
            hashes=hashes,
            line=line,
            pinned=pinned,
            markers=marker,
            editable=editable,
            file=shown,
        )


def parse(
    path: Path, root: Path, *, scope: str | None = None, project_dir: Path | None = None
) -> RequirementsResult:
    """Read one requirements file and its includes. ``scope`` defaults from the file name (dev files);
    a local requirement that points at ``project_dir`` (``-e .``) is the project itself and is skipped."""
    shown = display(path, root)
    file_scope = scope or ("dev" if is_dev_file(shown) else "required")
    reader = _Reader(root, file_scope)
    reader.project_dir = project_dir
    reader.read(path, constraint=False, origin=None)
    graph = LockGraph(file=shown, kind="requirements")
    # One entry per package name (the first line wins, like pip's "double requirement" check).
    seen: dict[str, int] = {}
    parents_by_index: list[list[str]] = []
    for pkg, parents in zip(reader.packages, reader.parents, strict=True):
        if pkg.key in seen:
            continue
        if not pkg.pinned and pkg.key in reader.constraints:
            pkg.version, _ = reader.constraints[pkg.key]
            pkg.pinned = True
        seen[pkg.key] = len(graph.packages)
        graph.packages.append(pkg)
        parents_by_index.append(parents)
    # Files are recorded per package so locations point at the file that holds the line.
    graph.flat_scopes = {i: file_scope for i in range(len(graph.packages))}
    annotated = any(parents_by_index)
    graph.has_edges = annotated
    if annotated:
        by_key = {p.key: i for i, p in enumerate(graph.packages)}
        for i, parents in enumerate(parents_by_index):
            for parent in parents:
                if (
                    parent.startswith("-r")
                    or parent.startswith("-c")
                    or parent.endswith((".in", ".txt", ".toml"))
                ):
                    graph.production.append(Edge(name=graph.packages[i].name))
                    continue
                key = normalize_python_name(parent.split("[")[0].split(" ")[0])
                if key in by_key:
                    graph.packages[by_key[key]].dependencies.append(Edge(name=graph.packages[i].name))
    else:
        graph.production = [Edge(name=p.name) for p in graph.packages]
    result = RequirementsResult(graph=graph, files=reader.files, errors=reader.errors)
    result.constraints = {k: v for k, (v, _) in reader.constraints.items()}
    return result
