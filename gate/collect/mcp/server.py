"""The MCP server's identity: name, version, description and entry points from ``pyproject.toml`` /
``package.json``, and the MCP registry manifest ``server.json`` (registry name, packages, transports,
remotes) when present.

Each transport the server offers becomes a :class:`~gate.model.Service` of kind ``mcp-transport``:
``stdio`` and the HTTP transports (``streamable-http``, ``sse``) with their endpoints (the remotes' URLs,
or a package transport's URL). ``authenticated`` is ``True`` only when the manifest declares a required
credential header, otherwise ``None`` (unknown); it is never guessed ``False``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.collect import Inventory
from gate.errors import InputError
from gate.model import CollectorRun, Location, ServerIdentity, Service
from gate.purl import npm_purl, pypi_purl, ref_for
from gate.safeio import display, parse_json, parse_toml, read_text, require_mapping

KNOWN_TRANSPORTS = ("stdio", "streamable-http", "sse")
_AUTH_HEADERS = {"authorization", "x-api-key", "api-key", "x-auth-token", "proxy-authorization"}
_REGISTRY_ECOSYSTEM = {"pypi": "pypi", "npm": "npm"}


# _Manifest and _Transport are plain classes: generating a dataclass costs about 0.4 ms at import, and
# this module is imported by every gate check.
class _Manifest:
    __slots__ = ("description", "ecosystem", "entry_points", "file", "line", "name", "version")

    def __init__(
        self,
        *,
        file: str,
        ecosystem: str,
        name: str | None,
        version: str | None,
        description: str | None,
        entry_points: dict[str, str],
        line: int | None,
    ) -> None:
        self.file = file
        self.ecosystem = ecosystem
        self.name = name
        self.version = version
        self.description = description
        self.entry_points = entry_points
        self.line = line


def _line_of(text: str, needle: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def read_pyproject(path: Path, shown: str) -> _Manifest | None:
    text = read_text(path, shown=shown)
    doc = require_mapping(parse_toml(text, shown), shown)
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool, dict) and isinstance(tool.get("poetry"), dict) else {}
    assert isinstance(project, dict) and isinstance(poetry, dict)
    name = _str(project.get("name")) or _str(poetry.get("name"))
    if name is None:
        return None
    scripts: dict[str, str] = {}
    for section in (project.get("scripts"), project.get("gui-scripts"), poetry.get("scripts")):
        if isinstance(section, dict):
            for k, v in section.items():
                if isinstance(v, str):
                    scripts.setdefault(str(k), v)
                elif isinstance(v, dict) and isinstance(v.get("reference"), str):
                    scripts.setdefault(str(k), v["reference"])
    return _Manifest(
        file=shown,
        ecosystem="pypi",
        name=name,
        version=_str(project.get("version")) or _str(poetry.get("version")),
        description=_str(project.get("description")) or _str(poetry.get("description")),
        entry_points=scripts,
        line=_line_of(text, "name"),
    )


def read_package_json(path: Path, shown: str) -> _Manifest | None:
    text = read_text(path, shown=shown)

    doc = require_mapping(parse_json(text, shown), shown)
    name = _str(doc.get("name"))
    if name is None:
        return None
    bins: dict[str, str] = {}
    raw_bin = doc.get("bin")
    if isinstance(raw_bin, str):
        bins[name.rsplit("/", 1)[-1]] = raw_bin
    elif isinstance(raw_bin, dict):
        bins = {str(k): v for k, v in raw_bin.items() if isinstance(v, str)}
    return _Manifest(
        file=shown,
        ecosystem="npm",
        name=name,
        version=_str(doc.get("version")),
        description=_str(doc.get("description")),
        entry_points=bins,
        line=_line_of(text, '"name"'),
    )


def _transport_of(raw: Any) -> tuple[str | None, str | None, list[Any]]:
    """(type, url, headers) of a package transport: an object (current schema) or a bare string (drafts)."""
    if isinstance(raw, str):
        return raw, None, []
    if isinstance(raw, dict):
        headers = raw.get("headers") if isinstance(raw.get("headers"), list) else []
        return _str(raw.get("type")), _str(raw.get("url")), headers or []
    return None, None, []


def _requires_auth(headers: list[Any]) -> bool:
    for h in headers:
        named = isinstance(h, dict) and isinstance(h.get("name"), str) and h["name"].lower() in _AUTH_HEADERS
        if named and (
            h.get("isRequired") is True or h.get("is_required") is True or h.get("isSecret") is True
        ):
            return True
    return False


class _Transport:
    __slots__ = ("authenticated", "endpoints", "kind", "remote")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.endpoints: set[str] = set()
        self.authenticated: bool | None = None
        self.remote = False


def read_server_json(path: Path, shown: str) -> tuple[dict[str, Any], str]:
    text = read_text(path, shown=shown)

    return require_mapping(parse_json(text, shown), shown), text


def _compact_package(raw: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "registryType",
        "registry_type",
        "registry_name",
        "registryBaseUrl",
        "identifier",
        "name",
        "version",
        "runtimeHint",
        "runtime_hint",
        "fileSha256",
        "transport",
    )
    out = {k: raw[k] for k in keep if k in raw and isinstance(raw[k], str | dict)}
    if isinstance(out.get("transport"), dict):
        out["transport"] = {k: v for k, v in out["transport"].items() if isinstance(v, str)}
    return out


class ServerCollector:
    name = "mcp-server"

    def collect(self, inventory: Inventory) -> CollectorRun:
        root = inventory.root if inventory.root.is_dir() else inventory.root.parent
        folder = self._folder(inventory, root)
        if folder is None:
            return CollectorRun(
                name=self.name,
                status="skipped",
                reason="no pyproject.toml, package.json or server.json found",
            )
        manifests: list[_Manifest] = []
        for filename, reader in (("pyproject.toml", read_pyproject), ("package.json", read_package_json)):
            p = folder / filename
            if p.is_file():
                m = reader(p, display(p, root))
                if m is not None:
                    manifests.append(m)
        registry: dict[str, Any] = {}
        registry_text = ""
        registry_file: str | None = None
        sj = folder / "server.json"
        if sj.is_file():
            registry_file = display(sj, root)
            registry, registry_text = read_server_json(sj, registry_file)
        if not manifests and not registry:
            return CollectorRun(
                name=self.name,
                status="skipped",
                reason=f"{display(folder, root)}: no project name in pyproject.toml or package.json",
            )
        notes: list[str] = []
        packages = (
            [p for p in registry.get("packages", []) if isinstance(p, dict)]
            if isinstance(registry.get("packages"), list)
            else []
        )
        remotes = (
            [r for r in registry.get("remotes", []) if isinstance(r, dict)]
            if isinstance(registry.get("remotes"), list)
            else []
        )
        if registry and not isinstance(registry.get("name"), str):
            raise InputError("server.json has no 'name'", path=registry_file)
        manifest = self._pick(manifests, packages)
        name = manifest.name if manifest and manifest.name else str(registry.get("name"))
        version = manifest.version if manifest else None
        reg_version = _str(registry.get("version")) or _str(
            registry.get("version_detail", {}).get("version")
            if isinstance(registry.get("version_detail"), dict)
            else None
        )
        if version is None:
            version = reg_version
        elif reg_version and reg_version != version:
            notes.append(
                f"{registry_file} declares version {reg_version}, {manifest.file if manifest else ''} {version}"
            )
        ecosystem = manifest.ecosystem if manifest else None
        purl = None
        if manifest and manifest.ecosystem == "pypi":
            purl = pypi_purl(name, version)
        elif manifest and manifest.ecosystem == "npm":
            purl = npm_purl(name, version)

        transports: dict[str, _Transport] = {}
        for pkg in packages:
            kind, url, headers = _transport_of(pkg.get("transport"))
            if kind is None:
                continue
            t = transports.setdefault(kind, _Transport(kind))
            if url:
                t.endpoints.add(url)
            if _requires_auth(headers):
                t.authenticated = True
        for r in remotes:
            kind = _str(r.get("type")) or _str(r.get("transport_type"))
            if kind is None:
                continue
            t = transports.setdefault(kind, _Transport(kind))
            t.remote = True
            url = _str(r.get("url"))
            if url:
                t.endpoints.add(url)
            raw_headers = r.get("headers")
            if isinstance(raw_headers, list) and _requires_auth(raw_headers):
                t.authenticated = True
        unknown = sorted(k for k in transports if k not in KNOWN_TRANSPORTS)
        if unknown:
            notes.append(f"{registry_file}: unknown transport type(s): {', '.join(unknown)}")

        locations: list[Location] = []
        if manifest:
            locations.append(Location(manifest.file, manifest.line))
        if registry_file:
            locations.append(Location(registry_file, _line_of(registry_text, '"name"')))
        inventory.server = ServerIdentity(
            name=name,
            version=version,
            description=(manifest.description if manifest else None) or _str(registry.get("description")),
            ecosystem=ecosystem,
            purl=purl,
            entry_points=dict(manifest.entry_points) if manifest else {},
            transports=tuple(sorted(transports)),
            packages=tuple(_compact_package(p) for p in packages),
            remotes=tuple({k: v for k, v in r.items() if isinstance(v, str)} for r in remotes),
            registry_name=_str(registry.get("name")),
            locations=tuple(locations),
        )
        project_refs = tuple(sorted(p.ref for p in inventory.projects if p.purl and p.purl == purl))
        for kind in sorted(transports):
            t = transports[kind]
            where = registry_file and _line_of(registry_text, f'"{kind}"')
            inventory.services.append(
                Service(
                    ref=ref_for(None, f"mcp-transport:{name}:{kind}"),
                    name=f"{name} ({kind})",
                    kind="mcp-transport",
                    endpoints=tuple(sorted(t.endpoints)),
                    authenticated=t.authenticated,
                    trust_boundary=True if t.remote else None,
                    version=version,
                    description=f"MCP {kind} transport of {name}",
                    locations=(Location(registry_file, where or None),) if registry_file else (),
                    projects=project_refs,
                    extra={"transport": kind, "remote": t.remote},
                )
            )
        stats: dict[str, Any] = {
            "transports": len(transports),
            "packages": len(packages),
            "remotes": len(remotes),
            "server_json": registry_file is not None,
        }
        if notes:
            stats["notes"] = notes
        return CollectorRun(name=self.name, status="ok", stats=stats)

    @staticmethod
    def _folder(inventory: Inventory, root: Path) -> Path | None:
        """The server's folder: the target (or the single ``--project``) when it holds a manifest, else the
        shallowest folder with a server.json, else the shallowest with a named manifest."""
        names = ("server.json", "pyproject.toml", "package.json")
        candidates = [root]
        if len(inventory.settings.projects) == 1:
            candidates.insert(0, (root / inventory.settings.projects[0]).resolve())
        for c in candidates:
            if any((c / n).is_file() for n in names):
                return c
        found: dict[str, list[Path]] = {n: [] for n in names}
        for path in inventory.walk():
            if path.name in found:
                found[path.name].append(path.parent)
        for n in names:
            if found[n]:
                return min(found[n], key=lambda p: (len(p.parts), p.as_posix()))
        return None

    @staticmethod
    def _pick(manifests: list[_Manifest], packages: list[dict[str, Any]]) -> _Manifest | None:
        """The manifest server.json publishes (by registry type), else pyproject.toml before package.json."""
        if not manifests:
            return None
        for p in packages:
            reg = p.get("registryType") or p.get("registry_type") or p.get("registry_name")
            eco = _REGISTRY_ECOSYSTEM.get(str(reg).lower())
            for m in manifests:
                if m.ecosystem == eco:
                    return m
        return manifests[0]
