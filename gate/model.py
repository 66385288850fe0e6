"""Domain objects shared by every stage: what collectors find and what evidence collectors add.

Frozen dataclasses; anything that could not be handled is recorded (``CollectorRun`` errors,
``Skipped`` entries), never dropped silently. ``to_json()`` gives the plain, deterministic form used by
the evidence document (the Rego ``input``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from gate.record import Record

Scope = Literal["required", "dev", "optional", "peer", "test"]
SourceKind = Literal["registry", "git", "path", "url", "unknown"]
CollectorStatus = Literal["ok", "failed", "incomplete", "skipped"]


@dataclass(frozen=True, order=True, repr=False)
class Location(Record):
    """Where a piece of evidence came from: a file relative to the target root, a 1-based line."""

    file: str
    line: int | None = None
    column: int | None = None
    symbol: str | None = None

    def to_json(self) -> dict[str, Any]:
        # Written out: dataclasses.asdict copies recursively, and this runs for every place of every component.
        return _prune({"file": self.file, "line": self.line, "column": self.column, "symbol": self.symbol})


@dataclass(frozen=True, order=True, repr=False)
class Hash(Record):
    """A digest: ``alg`` is a CycloneDX-style lower-case name (``sha256``, ``sha512``, ``sha1``), hex value."""

    alg: str
    value: str


def hash_key(h: Hash) -> tuple[str, str]:
    """Sort key of digests, the order of ``Hash`` itself: ``sorted(hashes, key=hash_key)`` compares plain
    tuples instead of calling the dataclass's ``__lt__`` (a uv.lock has thousands of digests)."""
    return (h.alg, h.value)


def hashes_json(hashes: tuple[Hash, ...] | list[Hash]) -> dict[str, list[str]]:
    """Digests as the evidence document holds them: algorithm -> values, in the component's order (sorted;
    a uv.lock package has one sha256 per wheel and sdist). One node per digest instead of an object each:
    the policy engine's cost of reading its input grows with the number of nodes, and digests were most of
    them."""
    out: dict[str, list[str]] = {}
    for h in hashes:
        values = out.setdefault(h.alg, [])
        if h.value not in values:
            values.append(h.value)
    return dict(sorted(out.items()))


@dataclass(frozen=True, repr=False)
class Source(Record):
    """Where a component comes from."""

    kind: SourceKind = "registry"
    url: str | None = None
    registry: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _prune({"kind": self.kind, "url": self.url, "registry": self.registry})


@dataclass(frozen=True, repr=False)
class Component(Record):
    """One thing in the inventory: a package, a model, a dataset, an application.

    ``ref`` is the stable, unique bom-ref (derived from the purl when there is one). ``project`` is the ref of
    the project that uses it (one per project; duplicates across projects are merged by the orchestrator,
    which then lists every project in ``projects``).
    """

    ref: str
    name: str
    version: str | None = None
    type: str = "library"
    ecosystem: str | None = None
    purl: str | None = None
    direct: bool = False
    scope: Scope = "required"
    pinned: bool = True
    hashes: tuple[Hash, ...] = ()
    source: Source = field(default_factory=Source)
    locations: tuple[Location, ...] = ()
    projects: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.scope not in ("dev", "test")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ref": self.ref,
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "ecosystem": self.ecosystem,
            "purl": self.purl,
            "direct": self.direct,
            "scope": self.scope,
            "pinned": self.pinned,
            "hashes": hashes_json(self.hashes),
            "source": self.source.to_json(),
            "locations": [loc.to_json() for loc in self.locations],
            "projects": list(self.projects),
            "dependencies": list(self.dependencies),
            "licenses": list(self.licenses),
        }
        if self.description:
            out["description"] = self.description
        out.update(self.extra)
        return out


@dataclass(frozen=True, repr=False)
class Project(Record):
    """A project found under the target: a Python or Node package with its manifests and lockfiles."""

    ref: str
    name: str
    version: str | None
    ecosystem: str
    path: str
    manifests: tuple[str, ...] = ()
    lockfiles: tuple[str, ...] = ()
    direct: tuple[str, ...] = ()
    entry_points: dict[str, str] = field(default_factory=dict)
    purl: str | None = None
    parent: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ref": self.ref,
            "name": self.name,
            "version": self.version,
            "ecosystem": self.ecosystem,
            "path": self.path,
            "purl": self.purl,
            "parent": self.parent,
            "manifests": list(self.manifests),
            "lockfiles": list(self.lockfiles),
            "direct": list(self.direct),
            "entry_points": dict(sorted(self.entry_points.items())),
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True, repr=False)
class Manifest(Record):
    """A manifest file and the lockfile that locks it (``None``: no lock was found)."""

    path: str
    kind: str
    project: str
    lockfile: str | None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, repr=False)
class Lockfile(Record):
    path: str
    kind: str
    project: str
    packages: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, repr=False)
class Endpoint(Record):
    url: str

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url}


@dataclass(frozen=True, repr=False)
class Service(Record):
    """An external or exposed service: an MCP transport of the server, or a hosted AI API it calls."""

    ref: str
    name: str
    kind: str  # "mcp-transport" | "ai-api" | ...
    endpoints: tuple[str, ...] = ()
    authenticated: bool | None = None
    trust_boundary: bool | None = None
    provider: str | None = None
    version: str | None = None
    description: str | None = None
    locations: tuple[Location, ...] = ()
    projects: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ref": self.ref,
            "name": self.name,
            "kind": self.kind,
            "endpoints": list(self.endpoints),
            "authenticated": self.authenticated,
            "trust_boundary": self.trust_boundary,
            "provider": self.provider,
            "version": self.version,
            "locations": [loc.to_json() for loc in self.locations],
            "projects": list(self.projects),
        }
        if self.description:
            out["description"] = self.description
        out.update(self.extra)
        return out


@dataclass(frozen=True, repr=False)
class ServerIdentity(Record):
    """The MCP server the target is: from pyproject.toml / package.json and the registry ``server.json``."""

    name: str
    version: str | None
    description: str | None = None
    ecosystem: str | None = None
    purl: str | None = None
    entry_points: dict[str, str] = field(default_factory=dict)
    transports: tuple[str, ...] = ()
    packages: tuple[dict[str, Any], ...] = ()
    remotes: tuple[dict[str, Any], ...] = ()
    registry_name: str | None = None
    locations: tuple[Location, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "ecosystem": self.ecosystem,
            "purl": self.purl,
            "entry_points": dict(sorted(self.entry_points.items())),
            "transports": list(self.transports),
            "packages": list(self.packages),
            "remotes": list(self.remotes),
            "registry_name": self.registry_name,
            "locations": [loc.to_json() for loc in self.locations],
        }


@dataclass(frozen=True, repr=False)
class CollectorError(Record):
    message: str
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return _prune(dataclasses.asdict(self))


@dataclass(frozen=True, repr=False)
class CollectorRun(Record):
    """What one collector did: ``ok``, ``failed`` (crashed or could not run), ``incomplete`` (ran, but some
    data was missing: timed out, unreachable, unparseable parts), or ``skipped`` (not applicable or not asked
    for; ``reason`` says which)."""

    name: str
    status: CollectorStatus
    errors: tuple[CollectorError, ...] = ()
    reason: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "errors": [e.to_json() for e in self.errors],
            "stats": dict(sorted(self.stats.items())),
        }


def _prune(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
