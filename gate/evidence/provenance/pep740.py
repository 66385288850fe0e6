"""PEP 740 attestations of Python distributions (pypi-attestations), verified offline against the pinned
trust root, optionally fetched from PyPI's integrity API for the locked versions (``--network``).

pypi-attestations' own ``Attestation.verify`` builds ``Verifier.production()``, which trusts whatever root
sits in the user's TUF cache; here the attestation is converted to a bundle and verified with the pinned
root, then the library's own subject rules are applied (one subject, the distribution's filename, its
sha256, a known predicate). The expected publisher comes from policy data, never from the provenance file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

from gate.errors import InputError, NetworkError
from gate.evidence.provenance import intoto, trust
from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.claims import signer_from_certificate
from gate.evidence.provenance.result import Subject, Verification
from gate.evidence.provenance.sigstore_bundle import _make_verifier, _RecordClaimsOnly, _short
from gate.hashing import cache_dir, write_json_atomic
from gate.safeio import parse_json, read_text

log = logging.getLogger(__name__)
PYPI_URL = os.environ.get("GATE_PYPI_URL", "https://pypi.org")
INTEGRITY_ACCEPT = "application/vnd.pypi.integrity.v1+json"
KNOWN_PREDICATES = (intoto.PYPI_PUBLISH_V1, intoto.SLSA_V1)
_WHEEL_OR_SDIST = re.compile(r"^(?P<name>[A-Za-z0-9_.]+?)-(?P<version>[^-]+)(-.*\.whl|\.tar\.gz|\.zip)$")


def publisher_from_data(data: Any) -> Any:
    """A pypi-attestations ``Publisher`` from policy data (``{"kind": "GitHub", "repository": "o/r",
    "workflow": "release.yml"}``); ``None`` when absent."""
    if not data:
        return None
    from pydantic import TypeAdapter, ValidationError
    from pypi_attestations import Publisher

    try:
        return TypeAdapter(Publisher).validate_python(data)
    except ValidationError as e:
        raise InputError(f"invalid expected publisher in policy data: {_short(e)}") from e


def read_attestations(path: Path, shown: str | None = None) -> list[tuple[Any, dict[str, Any] | None]]:
    """The attestations in a PEP 740 file: an ``Attestation`` object, or a ``Provenance`` object (each
    attestation with the publisher the file claims, kept only as information)."""
    from pydantic import ValidationError
    from pypi_attestations import Attestation, Provenance

    name = shown or str(path)
    text = read_text(path, shown=name)
    doc = parse_json(text, name)
    try:
        if isinstance(doc, dict) and "attestation_bundles" in doc:
            prov = Provenance.model_validate(doc)
            out: list[tuple[Any, dict[str, Any] | None]] = []
            for bundle in prov.attestation_bundles:
                claimed = bundle.publisher.model_dump(mode="json")
                out.extend((att, claimed) for att in bundle.attestations)
            return out
        return [(Attestation.model_validate(doc), None)]
    except ValidationError as e:
        raise InputError(f"not a PEP 740 attestation: {_short(e)}", path=name) from e


def is_attestation_doc(doc: Any) -> bool:
    return isinstance(doc, dict) and (
        "attestation_bundles" in doc or ("verification_material" in doc and "envelope" in doc)
    )


def verify_attestation(
    attestation: Any,
    dist: Artifact,
    *,
    publisher: Any = None,
    root: trust.TrustRoot | None = None,
    files: tuple[str, ...] = (),
    claimed_publisher: dict[str, Any] | None = None,
) -> Verification:
    """Verify one PEP 740 attestation against a distribution (its filename and sha256)."""
    from pypi_attestations import ConversionError

    root = root or trust.pinned()
    subject = Subject(dist.name, dict(dist.digests))
    base: dict[str, Any] = {
        "kind": "pep740",
        "subject": subject,
        "files": files or dist.files(),
        "trust_root": root.label,
        "method": "sigstore",
    }
    details: dict[str, Any] = {}
    if claimed_publisher:
        details["claimed_publisher"] = claimed_publisher
    if publisher is not None:
        details["expected_publisher"] = publisher.model_dump(mode="json")
    try:
        bundle = attestation.to_bundle()
    except (ConversionError, ValueError) as e:
        return Verification(
            status="failed", reason=f"invalid attestation: {_short(e)}", details=details, **base
        )
    signer = signer_from_certificate(bundle.signing_certificate)
    try:
        payload_type, payload = _make_verifier(root).verify_dsse(bundle, _RecordClaimsOnly())
    except Exception as e:
        return Verification(status="failed", reason=_short(e), signer=signer, details=details, **base)
    if payload_type != intoto.INTOTO_PAYLOAD_TYPE:
        return Verification(
            status="failed", reason=f"expected an in-toto envelope, got {payload_type}", signer=signer, **base
        )
    try:
        statement = intoto.parse_statement(payload)
    except intoto.StatementError as e:
        return Verification(status="failed", reason=str(e), signer=signer, details=details, **base)
    details["predicate_type"] = statement.predicate_type
    details["statement_subjects"] = statement.subject_summaries()
    slsa = intoto.slsa_fields(statement)
    problem = _subject_problem(statement, dist)
    if problem is None and statement.predicate_type not in KNOWN_PREDICATES:
        problem = f"unknown attestation type {statement.predicate_type!r}"
    if problem:
        return Verification(
            status="failed", reason=problem, signer=signer, slsa=slsa, details=details, **base
        )
    if publisher is not None:
        from sigstore.errors import VerificationError

        try:
            publisher._as_policy().verify(bundle.signing_certificate)
        except (VerificationError, ValueError, Exception) as e:
            return Verification(
                status="failed",
                reason=f"not published by the expected publisher: {_short(e)}",
                signer=signer,
                slsa=slsa,
                details=details,
                **base,
            )
    return Verification(
        status="verified",
        reason="attestation signature verified against the trust root and bound to the distribution's "
        "filename and sha256" + (" by the expected publisher" if publisher is not None else ""),
        signer=signer,
        slsa=slsa,
        details=details,
        **base,
    )


def _subject_problem(statement: intoto.Statement, dist: Artifact) -> str | None:
    from pypi_attestations._impl import _check_dist_filename

    if len(statement.subjects) != 1:
        return "the statement must have exactly one subject"
    subj = statement.subjects[0]
    name = subj.get("name")
    if not isinstance(name, str) or not name:
        return "the statement's subject has no name"
    try:
        if _check_dist_filename(name) != _check_dist_filename(dist.name or ""):
            return f"the statement's subject {name!r} is not the distribution {dist.name!r}"
    except ValueError as e:
        return f"invalid distribution filename: {e}"
    if intoto.normalize_digests(subj["digest"]).get("sha256") != (dist.sha256 or "").lower():
        return "the statement's subject digest does not match the distribution's sha256"
    return None


# -- PyPI integrity API (online, opt-in, cached) ----------------------------------------------------------


def _cache_path(*parts: str) -> Path:
    safe = [urllib.parse.quote(p, safe="") for p in parts]
    return cache_dir().joinpath("pypi-integrity", *safe)


def _get_json(url: str, accept: str, timeout: float) -> tuple[int, Any]:
    import requests

    try:
        resp = requests.get(url, headers={"Accept": accept}, timeout=timeout, allow_redirects=True)
    except requests.RequestException as e:
        raise NetworkError(f"{url}: {e}") from e
    if resp.status_code == 404:
        return 404, None
    if resp.status_code != 200:
        raise NetworkError(f"{url}: HTTP {resp.status_code}")
    if len(resp.content) > 16 * 1024 * 1024:
        raise NetworkError(f"{url}: response too large")
    try:
        return 200, parse_json(resp.content.decode("utf-8"), url)
    except (InputError, UnicodeDecodeError) as e:
        raise NetworkError(f"{url}: not JSON") from e


def _cached_get(key: tuple[str, ...], url: str, accept: str, timeout: float) -> Any:
    path = _cache_path(*key)
    if path.is_file():
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            return cached.get("body")
        except (OSError, ValueError):
            pass
    status, body = _get_json(url, accept, timeout)
    write_json_atomic(path, {"status": status, "body": body})
    return body


def locked_files(
    name: str, version: str, sha256s: set[str], *, timeout: float = 20.0
) -> list[tuple[str, str]]:
    """(filename, sha256) of the release files of ``name==version`` whose sha256 the lockfile pins."""
    url = f"{PYPI_URL}/pypi/{urllib.parse.quote(name)}/{urllib.parse.quote(version)}/json"
    body = _cached_get(("json", name.lower(), version), url, "application/json", timeout)
    out = []
    if isinstance(body, dict):
        for f in body.get("urls") or []:
            if not isinstance(f, dict):
                continue
            digest = (f.get("digests") or {}).get("sha256")
            if isinstance(digest, str) and digest.lower() in sha256s and isinstance(f.get("filename"), str):
                out.append((f["filename"], digest.lower()))
    return sorted(out)


def fetch_provenance(
    name: str, version: str, filename: str, *, timeout: float = 20.0
) -> dict[str, Any] | None:
    """The PEP 740 provenance object PyPI serves for one file (``None``: the file has none)."""
    url = (
        f"{PYPI_URL}/integrity/{urllib.parse.quote(name)}/{urllib.parse.quote(version)}/"
        f"{urllib.parse.quote(filename)}/provenance"
    )
    body = _cached_get(("provenance", name.lower(), version, filename), url, INTEGRITY_ACCEPT, timeout)
    return body if isinstance(body, dict) else None


def verify_provenance_doc(
    doc: dict[str, Any],
    dist: Artifact,
    *,
    publisher: Any = None,
    root: trust.TrustRoot | None = None,
    files: tuple[str, ...] = (),
) -> list[Verification]:
    from pydantic import ValidationError
    from pypi_attestations import Provenance

    try:
        prov = Provenance.model_validate(doc)
    except ValidationError as e:
        return [
            Verification(
                status="failed",
                kind="pep740",
                reason=f"PyPI served an invalid provenance object: {_short(e)}",
                subject=Subject(dist.name, dict(dist.digests)),
                files=files,
            )
        ]
    out = []
    for bundle in prov.attestation_bundles:
        claimed = bundle.publisher.model_dump(mode="json")
        for att in bundle.attestations:
            out.append(
                verify_attestation(
                    att, dist, publisher=publisher, root=root, files=files, claimed_publisher=claimed
                )
            )
    return out


def dist_name_matches(filename: str, project: str) -> bool:
    m = _WHEEL_OR_SDIST.match(filename)
    if not m:
        return False
    return re.sub(r"[-_.]+", "-", m.group("name")).lower() == re.sub(r"[-_.]+", "-", project).lower()
