"""SLSA Verification Summary Attestations (VSA v1) for a gate decision: build, sign, verify.

A VSA says "gate, with policy P (digest), verified these subjects and the result was PASSED/FAILED". It is
an in-toto statement (predicate ``https://slsa.dev/verification_summary/v1``) whose subjects are the
target's release artifacts, or the SBOM (its RFC 8785 canonical JSON digest) when there are none.

Signing: with a local EC P-256 key it is a DSSE envelope (ECDSA over the DSSE pre-authentication
encoding, ``cryptography`` only, fully offline); without a key, where an ambient OIDC token exists (GitHub
Actions with ``id-token: write``), it is signed keyless with Sigstore and written as a Sigstore bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gate import __version__
from gate.clock import iso
from gate.errors import GateError, InputError, UsageError
from gate.evidence.provenance import intoto, trust
from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.claims import key_fingerprint
from gate.evidence.provenance.result import Signer, Subject, Verification
from gate.safeio import parse_json, read_bytes, read_text

VERIFIER_ID = "https://github.com/mcp-gate/gate"
DSSE_PAYLOAD_TYPE = intoto.INTOTO_PAYLOAD_TYPE
KEY_PASSWORD_ENV = "GATE_VSA_KEY_PASSWORD"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sbom_digest(sbom: dict[str, Any]) -> str:
    import rfc8785

    return hashlib.sha256(rfc8785.dumps(sbom)).hexdigest()


def _decision_of(evaluation: Any) -> str:
    decision = getattr(evaluation, "decision", None)
    if decision is None and isinstance(evaluation, dict):
        decision = evaluation.get("decision")
    return str(decision or "block")


def build_vsa(
    document: dict[str, Any],
    sbom: dict[str, Any] | None,
    evaluation: Any,
    *,
    artifacts: Iterable[Artifact] | None = None,
    resource_uri: str | None = None,
    policy_uri: str | None = None,
    verifier_id: str = VERIFIER_ID,
) -> dict[str, Any]:
    """The VSA statement for one decision. ``evaluation`` is a :class:`gate.policy.result.Evaluation`
    (``decision``, ``policy_digest``). PASSED when the decision is ``pass`` or ``warn``."""
    subjects: list[dict[str, Any]] = []
    for a in artifacts or ():
        if a.sha256:
            subjects.append({"name": a.name, "digest": {"sha256": a.sha256}})
    if not subjects:
        for a in (document.get("provenance") or {}).get("artifacts") or []:
            digest = a.get("digest") or {}
            if a.get("release") and digest.get("sha256"):
                subjects.append(
                    {"name": a.get("path") or a.get("name"), "digest": {"sha256": digest["sha256"]}}
                )
    target = (document.get("target") or {}).get("name") or "target"
    if not subjects:
        if sbom is None:
            raise UsageError("a VSA needs a subject: release artifacts or the SBOM")
        subjects.append({"name": f"{target}.cdx.json", "digest": {"sha256": sbom_digest(sbom)}})
    decision = _decision_of(evaluation)
    passed = decision in ("pass", "warn")
    policy_digest = getattr(evaluation, "policy_digest", "") or (
        evaluation.get("policy_digest", "") if isinstance(evaluation, dict) else ""
    )
    policy: dict[str, Any] = {"uri": policy_uri or "gate:bundled-policy"}
    if policy_digest:
        alg, _, value = policy_digest.partition(":")
        policy["digest"] = {alg: value} if value else {"sha256": policy_digest}
    input_attestations = []
    for v in (document.get("provenance") or {}).get("verifications") or []:
        if v.get("status") == "verified":
            for f in v.get("files") or []:
                if f.endswith((".sigstore", ".sigstore.json", ".jsonl", ".attestation", ".sig")):
                    input_attestations.append({"uri": f})
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": sorted(subjects, key=lambda s: (str(s["name"]), s["digest"].get("sha256", ""))),
        "predicateType": intoto.SLSA_VSA_V1,
        "predicate": {
            "verifier": {"id": verifier_id, "version": {"gate": __version__}},
            "timeVerified": iso(),
            "resourceUri": resource_uri or f"gate:target/{target}",
            "policy": policy,
            "inputAttestations": sorted(input_attestations, key=lambda x: x["uri"]),
            "verificationResult": "PASSED" if passed else "FAILED",
            "verifiedLevels": [f"GATE_DECISION_{decision.upper()}"],
            "slsaVersion": "1.0",
        },
    }


def _load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    data = read_bytes(path, max_bytes=1024 * 1024, shown=str(path))
    password = os.environ.get(KEY_PASSWORD_ENV)
    try:
        key = serialization.load_pem_private_key(data, password=password.encode() if password else None)
    except (ValueError, TypeError) as e:
        raise InputError(
            f"cannot load the VSA signing key ({e}); set {KEY_PASSWORD_ENV} if it is encrypted",
            path=str(path),
        ) from e
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise InputError("the VSA signing key must be an EC P-256 private key", path=str(path))
    return key


def sign_with_key(statement: dict[str, Any], key_path: Path) -> dict[str, Any]:
    """A DSSE envelope over the statement, signed with ECDSA P-256 / SHA-256."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = _load_private_key(key_path)
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    sig = key.sign(pae(DSSE_PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    return {
        "payloadType": DSSE_PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key_fingerprint(key.public_key()), "sig": base64.b64encode(sig).decode()}],
    }


def sign_keyless(statement: dict[str, Any]) -> dict[str, Any]:
    """Sign with Sigstore using the ambient OIDC token (GitHub Actions). Needs the network."""
    from sigstore import dsse as sigstore_dsse
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken, detect_credential
    from sigstore.sign import SigningContext

    try:
        token = detect_credential()
    except Exception as e:
        raise UsageError(f"no ambient OIDC credential for keyless signing: {e}") from e
    if not token:
        raise UsageError("no VSA key (--vsa-key) and no ambient OIDC token for keyless Sigstore signing")
    stmt = sigstore_dsse.Statement(json.dumps(statement, sort_keys=True, separators=(",", ":")).encode())
    try:
        context = SigningContext.from_trust_config(ClientTrustConfig.production())
        with context.signer(IdentityToken(token)) as signer:
            bundle = signer.sign_dsse(stmt)
    except GateError:
        raise
    except Exception as e:
        raise GateError(f"keyless signing of the VSA failed: {e}") from e
    return json.loads(bundle.to_json())


def sign_vsa(
    statement: dict[str, Any], *, key: Path | None = None, keyless: bool | None = None
) -> dict[str, Any]:
    """Sign a VSA statement: with ``key`` (offline) or keyless where an ambient token exists."""
    if key is not None:
        return sign_with_key(statement, key)
    if keyless is False:
        raise UsageError("a VSA needs a signing key (--vsa-key) or keyless signing")
    return sign_keyless(statement)


def write_vsa(path: Path, signed: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(signed, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- verification ---------------------------------------------------------------------------------------


def _verify_envelope(env: dict[str, Any], public_key: Path, shown: str) -> tuple[bool, bytes, str]:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = serialization.load_pem_public_key(read_bytes(public_key, max_bytes=1024 * 1024))
    except ValueError as e:
        raise InputError(f"not a PEM public key: {e}", path=str(public_key)) from e
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InputError("the VSA public key must be an EC key", path=str(public_key))
    try:
        payload = base64.b64decode(env["payload"], validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in env["signatures"]]
        payload_type = str(env["payloadType"])
    except (KeyError, TypeError, ValueError) as e:
        raise InputError(f"malformed DSSE envelope: {e}", path=shown) from e
    for sig in sigs:
        try:
            key.verify(sig, pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
            return True, payload, key_fingerprint(key)
        except InvalidSignature:
            continue
    return False, payload, key_fingerprint(key)


def verify_vsa_file(
    path: Path,
    *,
    public_key: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    root: trust.TrustRoot | None = None,
    artifacts: list[Artifact] | None = None,
) -> Verification:
    shown = str(path)
    doc = parse_json(read_text(path, shown=shown), shown)
    if not isinstance(doc, dict):
        raise InputError("not a VSA (expected a DSSE envelope or a Sigstore bundle)", path=shown)
    base: dict[str, Any] = {"kind": "vsa", "files": (shown,)}
    signer: Signer | None = None
    if "payloadType" in doc and "signatures" in doc:
        if public_key is None:
            return Verification(status="unverifiable", reason="a key-signed VSA needs --public-key", **base)
        ok, payload, fingerprint = _verify_envelope(doc, public_key, shown)
        signer = Signer(key_fingerprint=fingerprint)
        if not ok:
            return Verification(
                status="failed",
                reason="the DSSE signature does not verify with the given key",
                signer=signer,
                method="dsse-key",
                **base,
            )
        method = "dsse-key"
    elif "mediaType" in doc:
        from gate.evidence.provenance.sigstore_bundle import verify_bundle

        first = artifacts[0] if artifacts else None
        v = verify_bundle(doc, first, root=root, identity=identity, issuer=issuer, files=(shown,))
        if v.status not in ("verified", "unverifiable") or (v.status == "unverifiable" and v.signer is None):
            return v.with_(kind="vsa")
        signer = v.signer
        if v.status == "unverifiable" and signer is not None:
            # The signature is valid but no subject was given: the identity must still be the expected one.
            from gate.evidence.provenance.sigstore_bundle import check_identity

            mismatch = check_identity(signer, identity, issuer)
            if mismatch:
                return v.with_(status="failed", kind="vsa", reason=mismatch)
        payload = base64.b64decode(doc["dsseEnvelope"]["payload"])
        method = "sigstore"
        base["trust_root"] = v.trust_root
    else:
        raise InputError("not a VSA (expected a DSSE envelope or a Sigstore bundle)", path=shown)
    try:
        statement = intoto.parse_statement(payload)
    except intoto.StatementError as e:
        return Verification(status="failed", reason=str(e), signer=signer, method=method, **base)
    if statement.predicate_type != intoto.SLSA_VSA_V1:
        return Verification(
            status="failed",
            reason=f"not a VSA (predicate {statement.predicate_type})",
            signer=signer,
            method=method,
            **base,
        )
    details = {
        "verification_result": statement.predicate.get("verificationResult"),
        "policy": statement.predicate.get("policy"),
        "verifier": statement.predicate.get("verifier"),
        "time_verified": statement.predicate.get("timeVerified"),
        "verified_levels": statement.predicate.get("verifiedLevels"),
        "statement_subjects": statement.subject_summaries(),
    }
    subject = Subject(
        str(statement.subjects[0].get("name")), intoto.normalize_digests(statement.subjects[0]["digest"])
    )
    for a in artifacts or []:
        if intoto.match_subject(statement, a.digests) is None:
            return Verification(
                status="failed",
                reason=f"the VSA does not name {a.name} (digest mismatch)",
                subject=subject,
                signer=signer,
                method=method,
                details=details,
                **base,
            )
    if details["verification_result"] != "PASSED":
        return Verification(
            status="failed",
            reason=f"the VSA is authentic but records {details['verification_result']}",
            subject=subject,
            signer=signer,
            method=method,
            details=details,
            **base,
        )
    return Verification(
        status="verified",
        reason="VSA signature verified; verification result PASSED",
        subject=subject,
        signer=signer,
        method=method,
        details=details,
        **base,
    )


def write_check_vsa(
    path: str | Path,
    document: dict[str, Any],
    sbom: dict[str, Any] | None,
    evaluation: Any,
    *,
    key: str | Path | None = None,
) -> dict[str, Any]:
    """What ``gate check --vsa PATH [--vsa-key KEY]`` does: build the VSA for the decision (subjects: the
    verified release artifacts in ``document["provenance"]``, else the SBOM), sign it (with ``key``
    offline, else keyless where an ambient OIDC token exists) and write it. Returns the signed document."""
    statement = build_vsa(document, sbom, evaluation)
    signed = sign_vsa(statement, key=Path(key) if key else None)
    write_vsa(Path(path), signed)
    return signed
