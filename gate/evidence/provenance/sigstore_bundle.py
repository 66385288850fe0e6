"""Sigstore bundles (v0.1 to v0.3, ``.sigstore``, ``.sigstore.json``, GitHub attestation JSONL), verified
offline with sigstore-python against the pinned trust root. The only module that imports ``sigstore``
for verification.

What is checked here: the bundle's structure, the certificate chain to the trust root at a verified time,
the SCT, the transparency-log inclusion proof/promise, the signature over the artifact digest (message
signatures) or over the DSSE envelope, the consistency of the log entry with the bundle, and, for DSSE,
that the in-toto statement's subject is the artifact (sigstore-python does not do this). Identity is
compared only when the caller asks for one (``gate verify --identity``); otherwise the claims are
recorded for policy.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from gate.errors import InputError
from gate.evidence.provenance import intoto, trust
from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.claims import signer_from_certificate
from gate.evidence.provenance.result import Kind, Signer, Slsa, Subject, Verification
from gate.safeio import parse_json, read_text

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
MAX_BUNDLES_PER_FILE = 256


class _RecordClaimsOnly:
    """A sigstore verification policy that accepts any identity: the claims are judged afterwards (by an
    explicit ``--identity`` or by policy), never skipped."""

    def verify(self, cert: x509.Certificate) -> None:
        return None


def _verifier_class() -> Any:
    """sigstore-python's Verifier with one correction: a trusted root's TSA validity period is a closed
    interval (sigstore-conformance ``trust-root-tsa-validity-end-inclusive``); sigstore 4.5 treats the end as
    exclusive. The override is the library's own method with ``<`` changed to ``<=``."""
    from rfc3161_client import VerificationError as Rfc3161VerificationError
    from rfc3161_client import VerifierBuilder
    from sigstore._internal.timestamp import TimestampSource, TimestampVerificationResult
    from sigstore.verify import Verifier

    class InclusiveTsaVerifier(Verifier):
        def _verify_signed_timestamp(self, timestamp_response: Any, message: bytes) -> Any:
            for authority in self._trusted_root.get_timestamp_authorities():
                certificates = authority.certificates(allow_expired=True)
                if len(certificates) < 2:
                    continue
                builder = (
                    VerifierBuilder().tsa_certificate(certificates[0]).add_root_certificate(certificates[-1])
                )
                for certificate in certificates[1:-1]:
                    builder = builder.add_intermediate_certificate(certificate)
                try:
                    builder.build().verify_message(timestamp_response, message)
                except Rfc3161VerificationError:
                    continue
                gen_time = timestamp_response.tst_info.gen_time
                end = authority.validity_period_end
                if authority.validity_period_start <= gen_time and (not end or gen_time <= end):
                    return TimestampVerificationResult(
                        source=TimestampSource.TIMESTAMP_AUTHORITY, time=gen_time
                    )
            return None

    return InclusiveTsaVerifier


_VERIFIER_CLS: Any = None


def _make_verifier(root: trust.TrustRoot) -> Any:
    global _VERIFIER_CLS
    if _VERIFIER_CLS is None:
        _VERIFIER_CLS = _verifier_class()
    return _VERIFIER_CLS(trusted_root=root.sigstore_root)


# -- reading bundle files -------------------------------------------------------------------------------


def _unwrap(doc: Any) -> Iterator[dict[str, Any]]:
    """Bundles inside the wrappers seen in the wild: ``{"bundle": ...}`` (GitHub attestations API /
    ``gh attestation download``), ``{"attestations": [{"bundle": ...}]}``."""
    if not isinstance(doc, dict):
        return
    if isinstance(doc.get("attestations"), list):
        for item in doc["attestations"][:MAX_BUNDLES_PER_FILE]:
            yield from _unwrap(item)
        return
    if isinstance(doc.get("bundle"), dict) and "mediaType" not in doc:
        yield doc["bundle"]
        return
    yield doc


def read_bundles(path: Path, shown: str | None = None) -> list[dict[str, Any]]:
    """Every bundle in a ``.sigstore(.json)`` file or a JSONL file (one bundle per line).

    A file that is not JSON at all is an :class:`InputError`; a JSON document that is not a valid bundle
    is returned as is and fails verification with the reason."""
    name = shown or str(path)
    text = read_text(path, shown=name)
    stripped = text.strip()
    if not stripped:
        raise InputError("empty file where a Sigstore bundle was expected", path=name)
    docs: list[Any] = []
    try:
        docs = [parse_json(text, name)]
    except InputError:
        lines = [ln for ln in stripped.splitlines() if ln.strip()]
        if len(lines) < 2:
            raise
        for i, line in enumerate(lines[:MAX_BUNDLES_PER_FILE], 1):
            docs.append(parse_json(line, f"{name}:{i}"))
    out: list[dict[str, Any]] = []
    for d in docs:
        out.extend(_unwrap(d))
    if not out:
        raise InputError("no Sigstore bundle in the file", path=name)
    return out


# -- classification of what sigstore-python cannot verify ------------------------------------------------


def _leaf_certificate(doc: dict[str, Any]) -> x509.Certificate | None:
    vm = doc.get("verificationMaterial")
    if not isinstance(vm, dict):
        return None
    raw = None
    if isinstance(vm.get("certificate"), dict):
        raw = vm["certificate"].get("rawBytes")
    elif isinstance(vm.get("x509CertificateChain"), dict):
        certs = vm["x509CertificateChain"].get("certificates")
        if isinstance(certs, list) and certs and isinstance(certs[0], dict):
            raw = certs[0].get("rawBytes")
    if not isinstance(raw, str):
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(raw))
    except (ValueError, TypeError):
        return None


def _unsupported_reason(doc: dict[str, Any], cert: x509.Certificate | None) -> str | None:
    if "mediaType" not in doc and "payloadType" in doc and "signatures" in doc:
        return (
            "a bare DSSE envelope (e.g. an older slsa-github-generator .intoto.jsonl): it carries no Sigstore "
            "verification material, so its log entry would have to be looked up online"
        )
    vm = doc.get("verificationMaterial")
    if not isinstance(vm, dict):
        return None
    if "publicKey" in vm:
        return (
            "public-key bundle (verification material is a key hint, not a certificate): sigstore-python "
            "verifies keyless certificate bundles only"
        )
    entries = vm.get("tlogEntries")
    kinds = set()
    if isinstance(entries, list):
        for e in entries:
            kv = e.get("kindVersion") if isinstance(e, dict) else None
            if isinstance(kv, dict):
                kinds.add(f"{kv.get('kind')}/{kv.get('version')}")
    if any(k.startswith("intoto/") for k in kinds):
        return (
            f"Rekor {', '.join(sorted(kinds))} log entry (the npm provenance format): sigstore-python cannot "
            "verify intoto entries"
        )
    if not entries and cert is not None:
        orgs = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        org = str(orgs[0].value) if orgs else ""
        if org and org != "sigstore.dev":
            return (
                f"signed by a private Sigstore instance ({org}) with no transparency log entry: "
                "sigstore-python verifies only bundles with a Rekor entry, and no trust root for that "
                "instance is shipped"
            )
    return None


# -- verification --------------------------------------------------------------------------------------


def _kind_for(statement: intoto.Statement | None, slsa: Slsa | None, signer: Signer | None) -> Kind:
    if statement is None:
        return "sigstore-bundle"
    if statement.predicate_type == intoto.PYPI_PUBLISH_V1:
        return "pep740"
    if slsa is not None:
        gh = any(
            t in (slsa.build_type or "")
            for t in ("github-actions-buildtypes", "actions.github.io/buildtypes")
        ) or (slsa.builder_id or "").startswith("https://github.com/actions/runner")
        return "github-attestation" if gh else "slsa-provenance"
    return "dsse"


def check_identity(signer: Signer, identity: str | None, issuer: str | None) -> str | None:
    """A reason when the signer does not match the expected identity/issuer (exact match), else None."""
    if identity is not None and signer.identity != identity:
        return f"signed by {signer.identity!r}, expected identity {identity!r}"
    if issuer is not None:
        issuers = {signer.issuer, signer.claims.get("issuer"), signer.claims.get("issuer_v1")} - {None}
        if issuer not in issuers:
            return f"certificate issued through {signer.issuer!r}, expected issuer {issuer!r}"
    return None


def verify_bundle(
    doc: dict[str, Any] | str | bytes,
    artifact: Artifact | None,
    *,
    root: trust.TrustRoot | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    files: tuple[str, ...] = (),
) -> Verification:
    """Verify one Sigstore bundle against ``artifact`` (``None``: verify the signature and report the
    statement's subjects, status ``unverifiable``: there is nothing to bind it to)."""
    from pydantic import ValidationError
    from sigstore.errors import Error as SigstoreError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore_models.common.v1 import HashAlgorithm

    root = root or trust.pinned()
    files = files or (artifact.files() if artifact else ())
    subject = Subject(artifact.name, dict(artifact.digests)) if artifact else Subject()
    raw = doc if isinstance(doc, (str, bytes)) else json.dumps(doc)
    parsed: dict[str, Any] | None = doc if isinstance(doc, dict) else None
    if parsed is None:
        try:
            loaded = json.loads(raw)
            parsed = loaded if isinstance(loaded, dict) else None
        except ValueError:
            parsed = None
    base: dict[str, Any] = {
        "subject": subject,
        "files": files,
        "trust_root": root.label,
        "method": "sigstore",
    }

    cert = _leaf_certificate(parsed) if parsed else None
    signer = signer_from_certificate(cert) if cert is not None else None
    if parsed is not None:
        why = _unsupported_reason(parsed, cert)
        if why:
            statement = _unverified_statement(parsed)
            kind: Kind = "npm-provenance" if "intoto" in why else ("dsse" if statement else "sigstore-bundle")
            details: dict[str, Any] = (
                {"statement_subjects": statement.subject_summaries()} if statement else {}
            )
            partial = _partial_checks(parsed, cert, statement, artifact)
            if partial:
                details["partial_checks"] = partial
                why += (
                    f" (checked only: envelope signature against the certificate key {partial['envelope_signature']}"
                    + (f", subject {partial['subject']}" if "subject" in partial else "")
                    + "; the certificate chain and log entry were not checked)"
                )
            return Verification(
                status="unsupported", kind=kind, reason=why, signer=signer, details=details, **base
            )

    try:
        bundle = Bundle.from_json(raw)
    except (SigstoreError, ValidationError, ValueError, TypeError, KeyError) as e:
        return Verification(
            status="failed",
            kind="sigstore-bundle",
            reason=f"invalid bundle: {_short(e)}",
            signer=signer,
            **base,
        )
    try:
        verifier = _make_verifier(root)
    except (SigstoreError, ValueError) as e:
        return Verification(
            status="failed", kind="sigstore-bundle", reason=f"unusable trust root: {_short(e)}", **base
        )
    signer = signer_from_certificate(bundle.signing_certificate)
    envelope = bundle._dsse_envelope

    if envelope is None:
        if artifact is None or not artifact.sha256:
            return Verification(
                status="unverifiable",
                kind="sigstore-bundle",
                reason="a message signature can only be checked against the artifact, and none was given",
                signer=signer,
                **base,
            )
        try:
            hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(artifact.sha256))
            verifier.verify_artifact(hashed, bundle, _RecordClaimsOnly())
        except (SigstoreError, ValueError) as e:
            return Verification(
                status="failed", kind="sigstore-bundle", reason=_short(e), signer=signer, **base
            )
        mismatch = check_identity(signer, identity, issuer)
        if mismatch:
            return Verification(
                status="failed", kind="sigstore-bundle", reason=mismatch, signer=signer, **base
            )
        return Verification(
            status="verified",
            kind="sigstore-bundle",
            reason="message signature over the artifact's sha256 verified against the trust root",
            signer=signer,
            **base,
        )

    try:
        payload_type, payload = verifier.verify_dsse(bundle, _RecordClaimsOnly())
    except (SigstoreError, ValueError) as e:
        return Verification(status="failed", kind="dsse", reason=_short(e), signer=signer, **base)
    return bind_statement(
        payload_type,
        payload,
        artifact,
        signer=signer,
        identity=identity,
        issuer=issuer,
        base=base,
        what="DSSE envelope signature",
    )


def bind_statement(
    payload_type: str,
    payload: bytes,
    artifact: Artifact | None,
    *,
    signer: Signer | None,
    identity: str | None,
    issuer: str | None,
    base: dict[str, Any],
    what: str,
) -> Verification:
    """After the envelope's signature is verified: parse the in-toto statement, bind its subject to the
    artifact digest, compare the identity when one is required, surface SLSA fields."""
    if payload_type != intoto.INTOTO_PAYLOAD_TYPE:
        return Verification(
            status="unverifiable",
            kind="dsse",
            reason=f"{what} is valid but the payload type {payload_type!r} is not an in-toto statement, so it "
            "cannot be bound to an artifact",
            signer=signer,
            **base,
        )
    try:
        statement = intoto.parse_statement(payload)
    except intoto.StatementError as e:
        return Verification(
            status="failed", kind="dsse", reason=f"signed payload: {e}", signer=signer, **base
        )
    slsa = intoto.slsa_fields(statement)
    kind = _kind_for(statement, slsa, signer)
    details = {
        "predicate_type": statement.predicate_type,
        "statement_subjects": statement.subject_summaries(),
    }
    if artifact is None:
        return Verification(
            status="unverifiable",
            kind=kind,
            reason=f"{what} is valid, but no artifact was given to bind the statement's subject to",
            signer=signer,
            slsa=slsa,
            details=details,
            **base,
        )
    matched = intoto.match_subject(statement, artifact.digests)
    if matched is None:
        names = ", ".join(str(s.get("name")) for s in statement.subjects[:5])
        return Verification(
            status="failed",
            kind=kind,
            reason=f"the statement's subject ({names}) does not match the artifact's digest",
            signer=signer,
            slsa=slsa,
            details=details,
            **base,
        )
    if signer is not None:
        mismatch = check_identity(signer, identity, issuer)
        if mismatch:
            return Verification(
                status="failed", kind=kind, reason=mismatch, signer=signer, slsa=slsa, details=details, **base
            )
    rest = dict(base)
    subj = rest.pop("subject")
    return Verification(
        status="verified",
        kind=kind,
        reason=f"{what} verified and the statement's subject matches the artifact's digest",
        subject=Subject(subj.name or matched.get("name"), subj.digest),
        signer=signer,
        slsa=slsa,
        details={**details, "matched_subject": matched.get("name")},
        **rest,
    )


def _partial_checks(
    doc: dict[str, Any],
    cert: x509.Certificate | None,
    statement: intoto.Statement | None,
    artifact: Artifact | None,
) -> dict[str, str]:
    """For a bundle the verifier cannot check: whether the DSSE signature matches the leaf certificate's key
    and the statement names the artifact. Informational only (the status stays ``unsupported``): without
    the chain and the log entry, a valid signature proves nothing about who signed."""
    env = doc.get("dsseEnvelope")
    if cert is None or not isinstance(env, dict):
        return {}
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    out: dict[str, str] = {}
    try:
        payload = base64.b64decode(env["payload"])
        ptype = str(env["payloadType"]).encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return {}
        valid = False
        for sig in env.get("signatures") or []:
            try:
                key.verify(base64.b64decode(sig["sig"]), pae, ec.ECDSA(hashes.SHA256()))
                valid = True
                break
            except (InvalidSignature, KeyError, TypeError, ValueError):
                continue
        out["envelope_signature"] = "valid" if valid else "INVALID"
    except (KeyError, TypeError, ValueError):
        out["envelope_signature"] = "unreadable"
    if statement is not None and artifact is not None:
        have = set(intoto.normalize_digests(artifact.digests))
        named = {a for s in statement.subjects for a in intoto.normalize_digests(s["digest"])}
        if not have & named:
            out["subject"] = f"not comparable (the statement names {', '.join(sorted(named))} digests only)"
        elif intoto.match_subject(statement, artifact.digests):
            out["subject"] = "matches the artifact"
        else:
            out["subject"] = "does NOT match the artifact"
    return out


def _unverified_statement(doc: dict[str, Any]) -> intoto.Statement | None:
    """The statement inside an envelope, read (not trusted) to describe an unsupported bundle."""
    env = doc.get("dsseEnvelope")
    if not isinstance(env, dict) or not isinstance(env.get("payload"), str):
        return None
    try:
        return intoto.parse_statement(base64.b64decode(env["payload"]))
    except (ValueError, intoto.StatementError):
        return None


def _short(e: BaseException) -> str:
    text = str(e) or type(e).__name__
    first = text.strip().splitlines()
    msg = " ".join(line.strip() for line in first[:3])[:400]
    if "candidates exhausted" in msg:
        msg = (
            "the signing certificate does not chain to the trusted root (signed by another Sigstore instance, "
            f"e.g. staging?): {msg}"
        )
    return msg
