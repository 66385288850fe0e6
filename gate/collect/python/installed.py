"""An installed environment (``--python-env``, a virtualenv): every ``*.dist-info`` in its site-packages.

Read statically: ``METADATA`` (name, version, summary, ``Requires-Dist`` for edges), ``RECORD`` (the
installed file names, counted), ``direct_url.json`` (PEP 610: VCS, URL, local or editable installs). The
environment's interpreter is never run. A distribution nothing else requires is a direct dependency.
"""

from __future__ import annotations

import re
from pathlib import Path

from gate.collect.python.graph import Edge, LockGraph, Package, check_requirement_text
from gate.errors import InputError
from gate.model import Source
from gate.safeio import load_json, read_text

MAX_METADATA_BYTES = 4 * 1024 * 1024
MAX_RECORD_BYTES = 32 * 1024 * 1024
_EXTRA = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def site_packages(env: Path) -> list[Path]:
    """The site-packages folders of a venv (POSIX and Windows layouts), or ``env`` itself when it is one."""
    if any(env.glob("*.dist-info")):
        return [env]
    found = sorted(p for p in env.glob("lib/python*/site-packages") if p.is_dir())
    found += sorted(
        p
        for p in env.glob("lib64/python*/site-packages")
        if p.is_dir() and p.resolve() not in {f.resolve() for f in found}
    )
    windows = env / "Lib" / "site-packages"
    if windows.is_dir():
        found.append(windows)
    return found


def _source(dist: Path, shown: str) -> tuple[Source, bool, bool]:
    """(source, pinned, editable) from direct_url.json; a registry install otherwise."""
    path = dist / "direct_url.json"
    if not path.is_file():
        return Source(kind="registry"), True, False
    data = load_json(path, shown=f"{shown}/direct_url.json", max_bytes=MAX_METADATA_BYTES)
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return Source(kind="unknown"), False, False
    url = data["url"]
    if isinstance(data.get("vcs_info"), dict):
        commit = data["vcs_info"].get("commit_id")
        vcs = data["vcs_info"].get("vcs", "git")
        return (
            Source(kind="git" if vcs == "git" else "url", url=f"{url}@{commit}" if commit else url),
            bool(commit),
            False,
        )
    if isinstance(data.get("dir_info"), dict):
        return Source(kind="path", url=url), False, data["dir_info"].get("editable") is True
    if url.startswith("file:"):
        return Source(kind="path", url=url), False, False
    has_hash = isinstance(data.get("archive_info"), dict) and bool(
        data["archive_info"].get("hashes") or data["archive_info"].get("hash")
    )
    return Source(kind="url", url=url), has_hash, False


def parse(env: Path, shown_env: str) -> tuple[LockGraph, int]:
    """The graph of an installed environment and the number of installed files its RECORDs list."""
    from email.parser import HeaderParser

    from packaging.requirements import InvalidRequirement, Requirement

    if not env.is_dir():
        raise InputError("not a directory", path=shown_env)
    dirs = site_packages(env)
    if not dirs:
        raise InputError("no site-packages folder (is this a virtual environment?)", path=shown_env)
    graph = LockGraph(file=shown_env, kind="python-env")
    files_total = 0
    seen: set[str] = set()
    for sp in dirs:
        for dist in sorted(sp.glob("*.dist-info")):
            if not dist.is_dir() or dist.is_symlink():
                continue
            rel = f"{shown_env}/{dist.relative_to(env).as_posix()}"
            meta_path = dist / "METADATA"
            if not meta_path.is_file():
                graph.warnings.append(f"{rel}: no METADATA")
                continue
            text = read_text(meta_path, shown=f"{rel}/METADATA", max_bytes=MAX_METADATA_BYTES)
            headers = HeaderParser().parsestr(text.split("\n\n", 1)[0] + "\n\n")
            name, version = headers.get("Name"), headers.get("Version")
            if not name or not version:
                raise InputError("METADATA has no Name or Version", path=f"{rel}/METADATA")
            deps: list[Edge] = []
            optional: dict[str, list[Edge]] = {}
            for raw in headers.get_all("Requires-Dist") or []:
                try:
                    check_requirement_text(str(raw), f"{rel}/METADATA")
                    req = Requirement(str(raw))
                except (InvalidRequirement, InputError):
                    graph.warnings.append(f"{rel}/METADATA: invalid Requires-Dist {str(raw)[:80]!r}")
                    continue
                marker = str(req.marker) if req.marker else None
                m = _EXTRA.search(marker or "")
                edge = Edge(name=req.name, extras=tuple(sorted(req.extras)))
                if m:
                    optional.setdefault(m.group(1), []).append(edge)
                else:
                    deps.append(edge)
            record = dist / "RECORD"
            if record.is_file():
                rtext = read_text(record, shown=f"{rel}/RECORD", max_bytes=MAX_RECORD_BYTES)
                files_total += sum(1 for line in rtext.splitlines() if line.strip())
            source, pinned, editable = _source(dist, rel)
            license_text = headers.get("License-Expression") or headers.get("License") or ""
            licenses = (
                (license_text.strip(),)
                if license_text.strip() and len(license_text) <= 100 and "\n" not in license_text
                else ()
            )
            pkg = Package(
                name=name,
                version=version,
                source=source,
                dependencies=deps,
                optional=optional,
                pinned=pinned or source.kind == "registry",
                editable=editable,
                file=f"{rel}/METADATA",
                line=1,
                description=headers.get("Summary") or None,
                licenses=licenses,
            )
            if pkg.key in seen:
                graph.warnings.append(f"{rel}: {name} is installed twice")
                continue
            seen.add(pkg.key)
            graph.packages.append(pkg)
    required = {e.key for p in graph.packages for e in p.dependencies}
    required |= {e.key for p in graph.packages for es in p.optional.values() for e in es}
    graph.production = [Edge(name=p.name) for p in graph.packages if p.key not in required]
    # Everything installed is in the environment: scope "required" (what is installed ships).
    graph.flat_scopes = {i: "required" for i in range(len(graph.packages))}
    return graph, files_total
