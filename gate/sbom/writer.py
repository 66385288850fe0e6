"""The CycloneDX 1.6 writer. The only module of the gate that imports cyclonedx-python-lib.

The MCP server is the root component; every project found under the target is a component of type
``application`` (nested under its parent project), every package a library, models and datasets
``machine-learning-model`` and ``data``; MCP transports and hosted AI APIs are ``services``. Collectors add
what the library does not model (``modelCard``, ``data``, ``vulnerabilities``) through
``inventory.sbom_extensions``, which amend the serialized JSON.

Deterministic: same tree, same bytes. The serial number is a UUID derived from the content (timestamp
excluded), the timestamp comes from ``SOURCE_DATE_EPOCH`` when set.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentScope, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.service import Service as CdxService
from cyclonedx.model.tool import ToolRepository
from cyclonedx.schema import SchemaVersion
from cyclonedx.schema.schema import SchemaVersion1Dot6
from packageurl import PackageURL

from gate import __version__
from gate.clock import now
from gate.collect import Inventory
from gate.document import in_scope
from gate.errors import GateError
from gate.jsontext import compact
from gate.model import Component, Hash, Location, Project, Service

_HASH_ALGS = {
    "md5": HashAlgorithm.MD5,
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
    "sha3-256": HashAlgorithm.SHA3_256,
    "sha3-512": HashAlgorithm.SHA3_512,
    "blake2b-256": HashAlgorithm.BLAKE2B_256,
    "blake2b-512": HashAlgorithm.BLAKE2B_512,
    "blake3": HashAlgorithm.BLAKE3,
}
_TYPES = {t.value: t for t in ComponentType}
_SCOPES = {
    "required": ComponentScope.REQUIRED,
    "optional": ComponentScope.OPTIONAL,
    "peer": ComponentScope.OPTIONAL,
    "dev": ComponentScope.EXCLUDED,
    "test": ComponentScope.EXCLUDED,
}
_PLACEHOLDER_SERIAL = uuid.UUID(int=0)
# What the library's JSON 1.6 writer puts in "$schema". The writer itself (cyclonedx.output.json) is not
# used: the SBOM is serialized part by part (see build_bom), and loading it cost 5 to 9 ms (a test checks
# that the two agree).
SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"


class SbomError(GateError):
    """The SBOM could not be produced or is invalid."""


def _hashes_json(hashes: Iterable[Hash]) -> list[dict[str, str]]:
    """A package's ``hashes``, in the form and order the library writes them (its ``HashType`` sorts by
    algorithm, then content), with its names for the algorithms. Packages carry them beside the library's
    model rather than in it: the library keeps each component's digests in a sorted set of objects compared
    field by field and writes each digest through a JSON round trip of its own, which on a lockfile with
    wheels (1,078 digests on mcp-server-qdrant) was a third of the SBOM's time."""
    seen = {
        (alg.value, h.value.lower()) for h in hashes if (alg := _HASH_ALGS.get(h.alg.lower())) is not None
    }
    return [{"alg": alg, "content": content} for alg, content in sorted(seen)]


def _with_hashes(item: dict[str, Any], hashes: list[dict[str, str]]) -> dict[str, Any]:
    """``item`` (a serialized component) with ``hashes`` at the library's place for it: the library writes a
    component's fields in the order of their attribute names, which for every field keeps the order of the
    JSON keys around ``hashes``."""
    if not hashes:
        return item
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key > "hashes" and "hashes" not in out:
            out["hashes"] = hashes
        out[key] = value
    out.setdefault("hashes", hashes)
    return out


def _purl(purl: str | None) -> PackageURL | None:
    if not purl:
        return None
    try:
        return PackageURL.from_string(purl)
    except ValueError:
        return None


def _evidence(locations: Iterable[Location]) -> ComponentEvidence | None:
    occ = [Occurrence(location=loc.file, line=loc.line, symbol=loc.symbol) for loc in sorted(set(locations))]
    return ComponentEvidence(occurrences=occ) if occ else None


def _props(pairs: Iterable[tuple[str, Any]]) -> list[Property]:
    out = []
    for name, value in pairs:
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append(Property(name=name, value=str(value)))
    return out


def _licence_list(names: Iterable[str]) -> list[Any]:
    names = list(names)
    if not names:
        return []
    from cyclonedx.model.license import DisjunctiveLicense

    out = []
    for n in names:
        spdx_id = _spdx_ids().get(n.lower())
        if spdx_id is not None:  # what the factory's make_with_id gives, without its expression parser
            out.append(DisjunctiveLicense(id=spdx_id))
            continue
        factory = _licence_factory()
        try:
            out.append(factory.make_from_string(n))
        except Exception:  # an odd licence string is recorded by name
            out.append(factory.make_with_name(n))
    return out


@functools.cache
def _spdx_ids() -> dict[str, str]:
    """The SPDX licence ids cyclonedx-python-lib knows (its own list), by lower-case id."""
    from cyclonedx.schema._res import SPDX_JSON

    with open(SPDX_JSON, encoding="utf-8") as fh:
        ids = json.load(fh).get("enum", [])
    return {i.lower(): i for i in ids}


@functools.cache
def _licence_factory() -> Any:
    """cyclonedx's licence factory, for licences that are not a single SPDX id: it builds an SPDX expression
    parser (15 ms, half the cost of importing the library) that plain ids never need."""
    from cyclonedx.contrib.license.factories import LicenseFactory

    return LicenseFactory()


def _component(c: Component) -> CdxComponent:
    """A package, model or dataset, without its digests (see :func:`_hashes_json`)."""
    refs = []
    if c.source.url:
        kind = ExternalReferenceType.VCS if c.source.kind == "git" else ExternalReferenceType.DISTRIBUTION
        try:
            refs.append(ExternalReference(type=kind, url=XsUri(c.source.url)))
        except Exception:  # not a URI the library accepts: keep it as a property
            pass
    props = _props(
        [
            ("gate:scope", c.scope),
            ("gate:direct", c.direct),
            ("gate:pinned", c.pinned),
            ("gate:source", c.source.kind),
            ("gate:source-url", c.source.url if not refs else None),
            ("gate:registry", c.source.registry),
            ("gate:ecosystem", c.ecosystem),
        ]
        + [("gate:project", p) for p in sorted(c.projects)]
    )
    return CdxComponent(
        name=c.name,
        version=c.version,
        type=_TYPES.get(c.type, ComponentType.LIBRARY),
        bom_ref=c.ref,
        purl=_purl(c.purl),
        scope=_SCOPES.get(c.scope),
        licenses=_licence_list(c.licenses),
        description=c.description,
        external_references=refs,
        properties=props,
        evidence=_evidence(c.locations),
    )


def _project_component(p: Project) -> CdxComponent:
    return CdxComponent(
        name=p.name,
        version=p.version,
        type=ComponentType.APPLICATION,
        bom_ref=p.ref,
        purl=_purl(p.purl),
        properties=_props(
            [("gate:path", p.path), ("gate:ecosystem", p.ecosystem)]
            + [("gate:manifest", m) for m in sorted(p.manifests)]
            + [("gate:lockfile", lf) for lf in sorted(p.lockfiles)]
        ),
        evidence=_evidence(Location(file=m) for m in p.manifests),
    )


def _service(s: Service) -> CdxService:
    endpoints = []
    for e in sorted(s.endpoints):
        try:
            endpoints.append(XsUri(e))
        except Exception:
            continue
    return CdxService(
        name=s.name,
        bom_ref=s.ref,
        version=s.version,
        description=s.description,
        provider=OrganizationalEntity(name=s.provider) if s.provider else None,
        endpoints=endpoints,
        authenticated=s.authenticated,
        x_trust_boundary=s.trust_boundary,
        properties=_props(
            [("gate:kind", s.kind)]
            + [("gate:project", p) for p in sorted(s.projects)]
            + [
                ("gate:location", f"{loc.file}:{loc.line}" if loc.line else loc.file)
                for loc in sorted(set(s.locations))
            ]
        ),
    )


def _root(inventory: Inventory) -> tuple[CdxComponent, str | None]:
    """The root component: the MCP server, which is also the project at the target's root when there is one.
    Returns the component and the ref of the project it stands for."""
    server = inventory.server
    root_project = next((p for p in inventory.projects if p.path in (".", "")), None)
    if server is not None:
        if root_project is None and server.purl:
            # The server found in a project below the target (no project at its root): that project is
            # the root component, not a second component with the same ref.
            root_project = next((p for p in inventory.projects if p.ref == server.purl), None)
        ref = root_project.ref if root_project else (server.purl or f"gate:server:{server.name}")
        comp = CdxComponent(
            name=server.name,
            version=server.version,
            type=ComponentType.APPLICATION,
            bom_ref=ref,
            purl=_purl(server.purl or (root_project.purl if root_project else None)),
            description=server.description,
            properties=_props(
                [("gate:mcp-server", True), ("gate:registry-name", server.registry_name)]
                + [("gate:entry-point", f"{k}={v}") for k, v in sorted(server.entry_points.items())]
                + [("gate:transport", t) for t in sorted(server.transports)]
            ),
            evidence=_evidence(server.locations),
        )
        return comp, root_project.ref if root_project else None
    if root_project is not None:
        return _project_component(root_project), root_project.ref
    name = inventory.root.name or "target"
    return CdxComponent(name=name, type=ComponentType.APPLICATION, bom_ref=f"gate:target:{name}"), None


Packages = list[tuple[CdxComponent, list[dict[str, str]]]]


def build_bom(inventory: Inventory) -> tuple[Bom, Packages, dict[str, list[str]]]:
    """The parts of the SBOM, built with the library: a ``Bom`` holding the metadata (root component and
    tool), the project components (nested under their parents) and the services; the package, model and
    dataset components; and the dependency graph (ref -> sorted refs, every component and service present).

    The packages are serialized one by one rather than through the ``Bom``: the library keeps components in
    sorted sets compared field by field and its deprecated ``Bom.validate()`` searches the dependency list
    linearly per component, which together take minutes at 10,000 components."""
    root, root_project_ref = _root(inventory)
    components = in_scope(inventory)
    scoped = {c.ref for c in components}

    bom = Bom(serial_number=_PLACEHOLDER_SERIAL)
    bom.metadata = BomMetaData(
        component=root,
        timestamp=now(),
        tools=ToolRepository(
            components=[
                CdxComponent(
                    name="gate", version=__version__, type=ComponentType.APPLICATION, bom_ref="gate-tool"
                )
            ]
        ),
    )
    # Projects: nested under their parent project; the root project is the root component itself.
    parents = {p.ref: p.parent for p in inventory.projects}
    project_components: dict[str, CdxComponent] = {}
    for p in sorted(inventory.projects, key=lambda x: x.ref):
        if p.ref == root_project_ref:
            continue
        project_components[p.ref] = _project_component(p)
    for ref, pc in project_components.items():
        parent = parents.get(ref)
        if parent and parent in project_components and parent != ref:
            project_components[parent].components.add(pc)
        else:
            bom.components.add(pc)
    root_ref = root.bom_ref.value or ""
    packages = [
        (_component(c), _hashes_json(c.hashes))
        for c in components
        if c.ref not in project_components and c.ref != root_ref
    ]
    for s in sorted(inventory.services, key=lambda x: x.ref):
        bom.services.add(_service(s))

    # Dependency graph: root -> projects and their direct deps; project -> direct deps; package -> deps.
    edges: dict[str, set[str]] = {root_ref: set()}
    for p in inventory.projects:
        src = root_ref if p.ref == root_project_ref else p.ref
        edges.setdefault(src, set()).update(d for d in p.direct if d in scoped)
        if src != root_ref:
            parent = p.parent if p.parent and p.parent != root_project_ref else root_ref
            edges.setdefault(parent, set()).add(p.ref)
    for c in components:
        edges.setdefault(c.ref, set()).update(d for d in c.dependencies if d in scoped and d != c.ref)
    for svc in inventory.services:
        edges.setdefault(svc.ref, set())
    known = {root_ref, *scoped, *project_components, *(svc.ref for svc in inventory.services)}
    graph = {src: sorted(d for d in deps if d in known) for src, deps in edges.items() if src in known}
    return bom, packages, graph


def _serialize(bom: Bom, packages: Packages, graph: dict[str, list[str]]) -> dict[str, Any]:
    """The library's JSON 1.6 serialization of the skeleton, the packages one by one, and the graph."""
    from cyclonedx.contrib.bom.utils import BomRefDiscriminator

    view = SchemaVersion1Dot6
    with BomRefDiscriminator.from_bom(bom):
        body: dict[str, Any] = json.loads(bom.as_json(view_=view))  # type: ignore[attr-defined]
    body.pop("dependencies", None)
    items = [
        _with_hashes(json.loads(c.as_json(view_=view)), hashes)  # type: ignore[attr-defined]
        for c, hashes in packages
    ]
    items.sort(key=lambda c: c["bom-ref"])
    body["components"] = body.get("components", []) + items
    body["dependencies"] = [
        {"ref": src, "dependsOn": deps} if deps else {"ref": src} for src, deps in sorted(graph.items())
    ]
    return {"$schema": SCHEMA_URI, "bomFormat": "CycloneDX", "specVersion": "1.6", **body}


def build_sbom(inventory: Inventory) -> dict[str, Any]:
    """The SBOM as a JSON-ready dict, extensions applied, serial number derived from the content."""
    bom, packages, graph = build_bom(inventory)
    try:
        doc = _serialize(bom, packages, graph)
    except Exception as e:  # the library's own errors become one diagnostic
        raise SbomError(f"could not serialize the SBOM: {e}") from e
    for extend in inventory.sbom_extensions:
        extend(doc, inventory)
    return finalize(doc)


def _sort_unordered(doc: dict[str, Any]) -> None:
    """The library keeps some lists in sets whose order depends on object ids (a component's evidence
    occurrences): sort them so the same tree gives the same bytes. Only components carry evidence, so only
    the component trees are walked (the metadata's, the tools', the list and their nested components)."""
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    tools = meta.get("tools")
    tools = tools if isinstance(tools, dict) else {}
    stack: list[Any] = [doc.get("components"), [meta.get("component")], tools.get("components")]
    while stack:
        items = stack.pop()
        if not isinstance(items, list):
            continue
        for comp in items:
            if not isinstance(comp, dict):
                continue
            evidence = comp.get("evidence")
            occ = evidence.get("occurrences") if isinstance(evidence, dict) else None
            if isinstance(occ, list):
                occ.sort(
                    key=lambda o: (str(o.get("location", "")), o.get("line") or 0, str(o.get("symbol", "")))
                )
            if "components" in comp:
                stack.append(comp["components"])


def finalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Derive the serial number from the content (timestamp excluded) and fix key order."""
    _sort_unordered(doc)
    body = dict(doc)
    body.pop("serialNumber", None)
    meta = dict(body.get("metadata", {}))
    meta.pop("timestamp", None)
    body["metadata"] = meta
    digest = hashlib.sha256(compact(body, sort_keys=True)).digest()
    doc["serialNumber"] = uuid.UUID(bytes=digest[:16], version=5).urn
    return doc


def validate(doc: dict[str, Any]) -> None:
    """Validate against the CycloneDX 1.6 JSON schema, strictly. Raises SbomError."""
    # Imported here: jsonschema's format checkers take most of a second to import.
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc))
    if errors is not None:
        raise SbomError(f"the SBOM does not validate against CycloneDX 1.6: {errors}")
