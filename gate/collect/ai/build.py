"""Turn AI references and model files into components, services and the flat ``input.ai`` section."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from gate.collect import Inventory
from gate.collect.ai.refs import Reference, is_commit, knowledge
from gate.model import Component, Hash, Location, Service, Source, hashes_json
from gate.purl import huggingface_purl, ref_for
from gate.record import Record

if TYPE_CHECKING:
    from gate.collect.ai.resolve import HubResolver
    from gate.evidence.artifacts import Artifact

HUB = "https://huggingface.co"
_SPDX = {
    "mit": "MIT",
    "apache-2.0": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "bsd-3-clause": "BSD-3-Clause",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
    "gpl-3.0": "GPL-3.0-only",
    "agpl-3.0": "AGPL-3.0-only",
    "llama2": "LicenseRef-llama2",
    "llama3": "LicenseRef-llama3",
    "gemma": "LicenseRef-gemma",
    "openrail": "LicenseRef-openrail",
    "cc0-1.0": "CC0-1.0",
    "unlicense": "Unlicense",
}
DATA_FORMATS = frozenset({"numpy", "npz", "hdf5"})


def spdx(lic: str) -> str:
    low = lic.strip().lower()
    return _SPDX.get(low, lic.strip() if " " not in lic.strip() else "LicenseRef-" + low.replace(" ", "-"))


@dataclass(repr=False)
class _Acc(Record):
    key: tuple[str, ...]
    name: str
    kind: str
    source: str
    type: str = "machine-learning-model"
    purl: str | None = None
    revision: str | None = None
    url: str | None = None
    registry: str | None = None
    provider: str | None = None
    library: set[str] = field(default_factory=set)
    envs: set[str] = field(default_factory=set)
    locations: set[Location] = field(default_factory=set)
    licenses: set[str] = field(default_factory=set)
    hashes: set[Hash] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)
    artifact: Artifact | None = None


def _locations(r: Reference) -> set[Location]:
    out = set()
    if r.file:
        out.add(Location(r.file, r.line or None, symbol=r.api))
    d = r.defined
    if d is not None and d.file and (d.file, d.line) != (r.file, r.line):
        out.add(Location(d.file, d.line, symbol=d.symbol or "definition"))
    return out


def build(
    inventory: Inventory,
    refs: list[Reference],
    artifacts: list[tuple[Path, Artifact]],
    digests: dict[Path, str],
    problems: list[dict[str, str]],
    provider_uses: dict[str, tuple[str, int]],
    ts_clients: list[tuple[str, dict[str, str], dict[str, int]]],
    resolver: HubResolver | None = None,
) -> list[Component]:
    accs: dict[tuple[str, ...], _Acc] = {}
    by_rel: dict[str, _Acc] = {}
    for path, art in artifacts:
        facc = _Acc(
            key=("file", art.rel),
            name=art.rel,
            kind="dataset" if art.format in DATA_FORMATS else "model",
            source="local",
            type="data" if art.format in DATA_FORMATS else "machine-learning-model",
        )
        facc.artifact = art
        facc.locations.add(Location(art.rel, None, symbol=art.format))
        if path in digests:
            facc.hashes.add(Hash("sha256", digests[path]))
        lic = art.details.get("license")
        if isinstance(lic, str) and lic:
            facc.licenses.add(spdx(lic))
        accs[facc.key] = facc
        by_rel[art.rel] = facc
    basenames: dict[str, list[str]] = {}
    for rel in by_rel:
        basenames.setdefault(PurePosixPath(rel).name, []).append(rel)
    providers = knowledge()["providers"]
    for r in refs:
        acc: _Acc | None = None
        key: tuple[str, ...]
        if r.source == "local":
            target = _match_local(r, by_rel, basenames)
            if target is not None:
                acc = by_rel[target]
            else:
                key = ("local", r.value)
                acc = accs.get(key) or _Acc(key=key, name=r.value, kind=r.kind, source="local")
                acc.extra["present"] = False
        elif r.source == "hub":
            dataset = r.repo_type == "dataset" or r.kind == "dataset"
            key = ("hub", "dataset" if dataset else "model", r.value, r.revision or "")
            acc = accs.get(key)
            if acc is None:
                acc = _Acc(
                    key=key,
                    name=r.value,
                    kind="dataset" if dataset else r.kind,
                    source="hub",
                    type="data" if dataset else "machine-learning-model",
                    revision=r.revision,
                    registry="huggingface.co",
                    url=f"{HUB}/datasets/{r.value}" if dataset else f"{HUB}/{r.value}",
                )
                if not dataset:
                    acc.purl = huggingface_purl(r.value, r.revision)
        elif r.source == "api":
            key = ("api", r.provider or "", r.value)
            acc = accs.get(key) or _Acc(
                key=key,
                name=r.value,
                kind=r.kind,
                source="api",
                provider=r.provider,
                url=providers.get(r.provider or "", {}).get("endpoint"),
            )
        elif r.source == "url":
            spec = knowledge()["implicit"].get(r.extra.get("implicit", ""), {})
            key = ("url", r.value, spec.get("url", ""))
            acc = accs.get(key) or _Acc(
                key=key, name=r.value, kind=r.kind, source="url", url=spec.get("url") or r.value
            )
            if spec:
                acc.extra.update(
                    {
                        "implicit": r.extra.get("implicit"),
                        "derived_from": spec.get("derived_from"),
                        "format": spec.get("format"),
                    }
                )
                if spec.get("license"):
                    acc.licenses.add(spec["license"])
        if acc is None:
            continue
        accs[acc.key] = acc
        if r.kind == "embedding" and acc.kind == "model":
            acc.kind = "embedding"  # the more specific use wins
        if r.library:
            acc.library.add(r.library)
        if r.env:
            acc.envs.add(r.env)
        acc.locations |= _locations(r)
        if r.requested and r.requested != acc.name:
            acc.extra["requested"] = r.requested
        fe = r.extra.get("fastembed")
        if isinstance(fe, dict):
            if fe.get("license"):
                acc.licenses.add(spdx(fe["license"]))
            if fe.get("file"):
                acc.extra["file"] = fe["file"]
        if r.extra.get("implicit"):
            acc.extra["implicit"] = r.extra["implicit"]
        if r.extra.get("note"):
            acc.extra["note"] = r.extra["note"]
    if resolver is not None:
        for acc in accs.values():
            if acc.source == "hub":
                res = resolver.resolve(acc.name, "dataset" if acc.type == "data" else "model", acc.revision)
                if res is not None:
                    acc.extra["resolved"] = res
    components = [_component(inventory, acc) for acc in accs.values()]
    inventory.components.extend(components)
    services = _services(inventory, refs, provider_uses, ts_clients)
    inventory.services.extend(services)
    section = [_section_entry(c) for c in sorted(components, key=lambda c: c.ref)]
    section += [_service_entry(s) for s in services]
    section += [
        {
            "id": ref_for(None, "ai-problem:" + p["file"]),
            "kind": "artifact",
            "source": "local",
            "name": p["file"],
            "problems": [p["problem"]],
            "locations": [{"file": p["file"]}],
            "pickle_scan": None,
            "signature": None,
            "pinned": None,
            "env_override": None,
            "format": None,
            "hashes": {},
            "risks": [],
        }
        for p in problems
    ]
    inventory.sections["ai"] = section
    return components


def _match_local(r: Reference, by_rel: dict[str, _Acc], basenames: dict[str, list[str]]) -> str | None:
    value = r.value.replace("\\", "/")
    candidates = [
        posixpath.normpath(value.lstrip("/")) if not value.startswith("/") else None,
        posixpath.normpath(posixpath.join(posixpath.dirname(r.file), value)),
    ]
    for c in candidates:
        if c and c in by_rel:
            return c
    # a directory reference (``./models/encoder``): the model files inside it
    for c in candidates:
        if c:
            inside = sorted(rel for rel in by_rel if rel.startswith(c.rstrip("/") + "/"))
            if inside:
                return inside[0]
    same = basenames.get(PurePosixPath(value).name, [])
    return same[0] if len(same) == 1 else None


def _project_of(inventory: Inventory, files: list[str]) -> tuple[str, ...]:
    out = set()
    for f in files:
        best = None
        for p in inventory.projects:
            base = p.path.rstrip("/")
            if (base in ("", ".") or f == base or f.startswith(base + "/")) and (
                best is None or len(base) > len(best.path.rstrip("/"))
            ):
                best = p
        if best is not None:
            out.add(best.ref)
    return tuple(sorted(out))


def _component(inventory: Inventory, acc: _Acc) -> Component:
    art = acc.artifact
    fmt = art.format if art is not None else acc.extra.get("format") or _format_hint(acc)
    pinned_rev = acc.revision if is_commit(acc.revision) else None
    ai: dict[str, Any] = {
        "kind": acc.kind,
        "source": acc.source,
        "pinned_revision": pinned_rev,
        "revision": acc.revision,
        "env_override": sorted(acc.envs)[0] if acc.envs else None,
        "env_overrides": sorted(acc.envs),
        "format": fmt,
        "pickle_scan": art.pickle_scan.to_json() if art is not None and art.pickle_scan is not None else None,
        "pickle_based": bool(art is not None and art.pickle_based),
        "signature": None,
        "library": sorted(acc.library),
        "provider": acc.provider,
    }
    for k in ("requested", "implicit", "derived_from", "present", "file", "note"):
        if acc.extra.get(k) is not None:
            ai[k] = acc.extra[k]
    resolved = acc.extra.get("resolved")
    purl, version, hashes = acc.purl, acc.revision, set(acc.hashes)
    if isinstance(resolved, dict):
        ai["resolved_revision"] = resolved["sha"]
        ai["files"] = resolved["files"]
        version = resolved["sha"]
        if acc.purl:
            purl = huggingface_purl(acc.name, resolved["sha"])
        weights = [f for f in resolved["files"] if f.get("sha256")]
        if len(weights) == 1:
            hashes.add(Hash("sha256", weights[0]["sha256"]))
        if resolved.get("license"):
            acc.licenses.add(spdx(resolved["license"]))
    if art is not None:
        from gate.evidence.artifacts import to_json

        ai["details"] = to_json(art)
        md = art.details.get("metadata") or {}
        origin = md.get("general.source.huggingface.repository") or md.get("general.base_model.0.repo_url")
        if isinstance(origin, str) and origin:
            ai["derived_from"] = origin
        if art.problems:
            ai["problems"] = list(art.problems)
    source = {
        "hub": Source("registry", url=acc.url, registry="huggingface.co"),
        "api": Source("url", url=acc.url),
        "url": Source("url", url=acc.url),
        "local": Source("path", url=acc.name),
    }[acc.source]
    ecosystem = {"hub": "huggingface", "api": "ai-api", "url": "url", "local": "local"}[acc.source]
    fallback = "ai:" + "|".join(acc.key)
    locs = tuple(sorted(acc.locations, key=_loc_key))
    return Component(
        ref=ref_for(purl, fallback),
        name=acc.name,
        version=version,
        type=acc.type,
        ecosystem=ecosystem,
        purl=purl,
        direct=True,
        pinned=bool(pinned_rev) if acc.source == "hub" else True,
        hashes=tuple(sorted(hashes)),
        source=source,
        locations=locs,
        projects=_project_of(inventory, [loc.file for loc in locs]),
        licenses=tuple(sorted(acc.licenses)),
        description=_describe(acc),
        extra={"ai": ai},
    )


def _loc_key(loc: Location) -> tuple[str, int, str]:
    return (loc.file, loc.line or 0, loc.symbol or "")


def _format_hint(acc: _Acc) -> str | None:
    if acc.source == "api":
        return "api"
    fe = acc.extra.get("file")
    if isinstance(fe, str) and fe.endswith(".onnx"):
        return "onnx"
    if acc.source == "local":
        suffix = PurePosixPath(acc.name).suffix.lower().lstrip(".")
        return suffix or None
    return None


def _describe(acc: _Acc) -> str:
    what = {"model": "Model", "embedding": "Embedding model", "dataset": "Dataset"}.get(acc.kind, "Model")
    where = {
        "hub": "from the Hugging Face Hub",
        "api": f"served by the {acc.provider} API",
        "url": f"downloaded from {acc.url}",
        "local": "shipped as a local file",
    }[acc.source]
    lib = f" (loaded by {', '.join(sorted(acc.library))})" if acc.library else ""
    return f"{what} {where}{lib}"


def _services(
    inventory: Inventory,
    refs: list[Reference],
    provider_uses: dict[str, tuple[str, int]],
    ts_clients: list[tuple[str, dict[str, str], dict[str, int]]],
) -> list[Service]:
    providers = knowledge()["providers"]
    locs: dict[str, set[Location]] = {}
    for prov, (file, line) in provider_uses.items():
        locs.setdefault(prov, set()).add(Location(file, line, symbol="client"))
    for rel, clients, lines in ts_clients:
        for holder, prov in clients.items():
            if holder != "<new>":
                locs.setdefault(prov, set()).add(Location(rel, lines.get(holder), symbol=holder))
            else:
                locs.setdefault(prov, set())
    for r in refs:
        if r.source == "api" and r.provider and r.file:
            locs.setdefault(r.provider, set()).add(Location(r.file, r.line, symbol=r.api))
    out = []
    for prov, where in sorted(locs.items()):
        spec = providers.get(prov)
        if spec is None:
            continue
        files = sorted({loc.file for loc in where})
        out.append(
            Service(
                ref=ref_for(None, f"ai-api:{prov}"),
                name=spec["name"],
                kind="ai-api",
                endpoints=(spec["endpoint"],),
                authenticated=bool(spec.get("authenticated", True)),
                trust_boundary=True,
                provider=prov,
                locations=tuple(sorted(where, key=_loc_key)),
                projects=_project_of(inventory, files),
            )
        )
    return out


def _section_entry(c: Component) -> dict[str, Any]:
    ai = c.extra["ai"]
    return {
        "id": c.ref,
        "name": c.name,
        "type": c.type,
        "kind": ai["kind"],
        "source": ai["source"],
        "purl": c.purl,
        "revision": ai["revision"],
        "pinned_revision": ai["pinned_revision"],
        "resolved_revision": ai.get("resolved_revision"),
        "pinned": bool(ai["pinned_revision"]),
        "env_override": ai["env_override"],
        "format": ai["format"],
        "pickle_based": ai["pickle_based"],
        "hashes": hashes_json(c.hashes),
        "licenses": list(c.licenses),
        "signature": None,
        "pickle_scan": ai["pickle_scan"],
        "provider": ai["provider"],
        "library": ai["library"],
        "problems": ai.get("problems", []),
        "risks": _risks(ai),
        "locations": [loc.to_json() for loc in c.locations],
        "projects": list(c.projects),
    }


def _risks(ai: dict[str, Any]) -> list[str]:
    """Ways a file can run code when loaded other than pickle globals (judged by policy)."""
    details = ai.get("details") or {}
    out = []
    if details.get("lambda_layers"):
        out.append("keras-lambda")
    return out


def _service_entry(s: Service) -> dict[str, Any]:
    return {
        "id": s.ref,
        "name": s.name,
        "type": "service",
        "kind": "api",
        "source": "api",
        "purl": None,
        "revision": None,
        "pinned_revision": None,
        "pinned": None,
        "env_override": None,
        "format": None,
        "pickle_based": False,
        "hashes": {},
        "licenses": [],
        "signature": None,
        "pickle_scan": None,
        "provider": s.provider,
        "endpoints": list(s.endpoints),
        "authenticated": s.authenticated,
        "library": [],
        "problems": [],
        "risks": [],
        "locations": [loc.to_json() for loc in s.locations],
        "projects": list(s.projects),
    }
