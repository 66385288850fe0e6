"""The one result model of every provenance and signature check: :class:`Verification`.

Python decides what the cryptography says (signature valid, certificate chains to the trust root, the
signed subject is this artifact); *who* is trusted (identities, builders, repositories) is policy data
judged in Rego from the claims recorded here. A result never claims more than was checked:

- ``verified``: signature, trust root and binding to the artifact's digest all checked and good;
- ``failed``: something was checked and is wrong (bad signature, untrusted root, digest mismatch,
  wrong identity when one was required, tampered model file);
- ``unverifiable``: the evidence is well-formed but cannot be checked here (no artifact to bind to,
  an attestation for another artifact, network needed but off);
- ``unsupported``: a format the verifier cannot check (npm Rekor ``intoto`` entries, public-key
  bundles, GitHub's private Sigstore instance); never reported as verified or failed;
- ``absent``: no signature or attestation was found for the artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gate.record import Record

Status = Literal["verified", "failed", "unverifiable", "unsupported", "absent"]
STATUSES: tuple[Status, ...] = ("verified", "failed", "unverifiable", "unsupported", "absent")

# What kind of evidence was checked.
Kind = Literal[
    "sigstore-bundle",  # message signature over the artifact (hashedrekord)
    "dsse",  # DSSE envelope holding an in-toto statement (any predicate)
    "slsa-provenance",  # DSSE in-toto statement with a SLSA provenance predicate
    "github-attestation",  # GitHub artifact attestation (Sigstore bundle, usually SLSA provenance)
    "npm-provenance",  # npm registry provenance (Rekor intoto entry)
    "pep740",  # PEP 740 attestation of a Python distribution
    "model-signing",  # OpenSSF model signing (OMS) signature of a model folder or file
    "lockfile-hash",  # the artifact's digest compared with the hash a lockfile pins
    "vsa",  # SLSA verification summary attestation
    "none",
]

# Exit codes of ``gate verify``.
EXIT_BY_STATUS: dict[str, int] = {
    "verified": 0,
    "failed": 1,
    "unverifiable": 2,
    "unsupported": 2,
    "absent": 2,
}


@dataclass(frozen=True, repr=False)
class Subject(Record):
    """What the evidence is about: an artifact name and its digests (``{"sha256": hex, ...}``)."""

    name: str | None = None
    digest: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "digest": dict(sorted(self.digest.items()))}


@dataclass(frozen=True, repr=False)
class Signer(Record):
    """Who signed: the certificate identity (SAN), the OIDC issuer and every Fulcio claim, or the key."""

    identity: str | None = None
    issuer: str | None = None
    # Named Fulcio certificate extensions (github_workflow_repository, source_repository_ref, ...).
    claims: dict[str, str] = field(default_factory=dict)
    # For key-based signatures: the key's SHA-256 fingerprint (hex of the DER SubjectPublicKeyInfo).
    key_fingerprint: str | None = None
    # For certificate-chain signatures: the leaf certificate's subject.
    certificate_subject: str | None = None
    # Which instance issued the certificate (e.g. "sigstore.dev", "GitHub, Inc.").
    certificate_issuer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "issuer": self.issuer,
            "claims": dict(sorted(self.claims.items())),
            "key_fingerprint": self.key_fingerprint,
            "certificate_subject": self.certificate_subject,
            "certificate_issuer": self.certificate_issuer,
        }


@dataclass(frozen=True, repr=False)
class Slsa(Record):
    """SLSA provenance fields surfaced for policy (v1, with v0.2 mapped onto the same names)."""

    predicate_type: str | None = None
    builder_id: str | None = None
    build_type: str | None = None
    source_repository: str | None = None
    source_ref: str | None = None
    source_commit: str | None = None
    invocation_id: str | None = None

    def empty(self) -> bool:
        return not any(vars(self).values())

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True, repr=False)
class Verification(Record):
    """One verification outcome. ``to_json()`` is its form in the evidence document and in ``gate verify``."""

    status: Status
    kind: Kind
    reason: str
    subject: Subject = field(default_factory=Subject)
    signer: Signer | None = None
    slsa: Slsa | None = None
    # How the signature was checked: "sigstore", "public-key", "certificate", "digest", "dsse-key".
    method: str | None = None
    # Which trust root: "sigstore-production (pinned)" or the path given with --trusted-root.
    trust_root: str | None = None
    # The files involved (artifact, bundle, signature), relative to the target root when inside it.
    files: tuple[str, ...] = ()
    component: str | None = None
    # Extra structured detail: mismatched/missing/extra model files, predicate type, statement subjects...
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_BY_STATUS[self.status]

    def with_(self, **changes: Any) -> Verification:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "kind": self.kind,
            "reason": self.reason,
            "subject": self.subject.to_json(),
            "signer": self.signer.to_json() if self.signer else None,
            "slsa": self.slsa.to_json() if self.slsa else None,
            "method": self.method,
            "trust_root": self.trust_root,
            "files": list(self.files),
            "component": self.component,
            "details": self.details,
        }


_NULLABLE_STR = {"type": ["string", "null"]}

# JSON Schema of ``Verification.to_json()``: the items of ``input.provenance.verifications`` and of
# ``input.components[].provenance`` (for gate/schema/input-v1.schema.json and docs/input.md).
VERIFICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "status",
        "kind",
        "reason",
        "subject",
        "signer",
        "slsa",
        "method",
        "trust_root",
        "files",
        "component",
        "details",
    ],
    "additionalProperties": False,
    "properties": {
        "status": {"enum": list(STATUSES)},
        "kind": {
            "enum": [
                "sigstore-bundle",
                "dsse",
                "slsa-provenance",
                "github-attestation",
                "npm-provenance",
                "pep740",
                "model-signing",
                "lockfile-hash",
                "vsa",
                "none",
            ]
        },
        "reason": {"type": "string", "minLength": 1},
        "subject": {
            "type": "object",
            "required": ["name", "digest"],
            "properties": {
                "name": _NULLABLE_STR,
                "digest": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "signer": {
            "type": ["object", "null"],
            "required": [
                "identity",
                "issuer",
                "claims",
                "key_fingerprint",
                "certificate_subject",
                "certificate_issuer",
            ],
            "properties": {
                "identity": _NULLABLE_STR,
                "issuer": _NULLABLE_STR,
                "claims": {"type": "object", "additionalProperties": {"type": "string"}},
                "key_fingerprint": _NULLABLE_STR,
                "certificate_subject": _NULLABLE_STR,
                "certificate_issuer": _NULLABLE_STR,
            },
        },
        "slsa": {
            "type": ["object", "null"],
            "properties": {
                k: _NULLABLE_STR
                for k in (
                    "predicate_type",
                    "builder_id",
                    "build_type",
                    "source_repository",
                    "source_ref",
                    "source_commit",
                    "invocation_id",
                )
            },
        },
        "method": _NULLABLE_STR,
        "trust_root": _NULLABLE_STR,
        "files": {"type": "array", "items": {"type": "string"}},
        "component": _NULLABLE_STR,
        "details": {"type": "object"},
    },
}
