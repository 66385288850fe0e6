"""One entry point for every kind of signature or attestation file: detect the format, verify it against an
artifact, return :class:`Verification` results. Used by ``gate verify`` and by the evidence collector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.errors import InputError
from gate.record import Record
from gate.safeio import parse_json, read_text

if TYPE_CHECKING:
    from gate.evidence.provenance import trust
    from gate.evidence.provenance.artifact import Artifact
    from gate.evidence.provenance.result import Verification

# The verifiers (sigstore, cryptography, pypi-attestations, model-signing: about 0.2 s of imports) and the
# result model are loaded by the functions below when a file is actually verified, not when a project has
# nothing to verify.

# Signature/attestation files looked for next to an artifact X (in this order).
SIDECAR_SUFFIXES = (
    ".sigstore.json",
    ".sigstore",
    ".intoto.jsonl",
    ".publish.attestation",
    ".slsa.attestation",
    ".attestation",
    ".provenance",
)
MODEL_SIGNATURE = "model.sig"


@dataclass(frozen=True, repr=False)
class Expectation(Record):
    """What the caller requires beyond a valid signature (all optional; policy judges the rest)."""

    identity: str | None = None
    issuer: str | None = None
    publisher: Any = None  # a pypi-attestations Publisher, for PEP 740
    public_key: Path | None = None
    certificate_chain: tuple[Path, ...] = ()
    ignore_paths: tuple[str, ...] = ()


def sidecars(artifact: Path) -> list[Path]:
    out = []
    for suffix in SIDECAR_SUFFIXES:
        p = artifact.with_name(artifact.name + suffix)
        if p.is_file():
            out.append(p)
    return out


def _sniff(path: Path, shown: str) -> str:
    """``pep740`` | ``model`` | ``bundle``: what kind of evidence file this is (read, not trusted)."""
    from gate.evidence.provenance import pep740
    from gate.evidence.provenance.model_signature import is_model_signature

    text = read_text(path, shown=shown)
    try:
        doc = parse_json(text, shown)
    except InputError:
        return "bundle"  # JSONL: one bundle per line
    if pep740.is_attestation_doc(doc):
        return "pep740"
    if isinstance(doc, dict) and is_model_signature(doc):
        return "model"
    return "bundle"


def verify_file(
    evidence: Path,
    artifact: Artifact | None,
    *,
    expect: Expectation | None = None,
    root: trust.TrustRoot | None = None,
    shown: str | None = None,
) -> list[Verification]:
    """Verify every signature/attestation in ``evidence`` against ``artifact``."""
    from gate.evidence.provenance import pep740
    from gate.evidence.provenance.result import Verification
    from gate.evidence.provenance.sigstore_bundle import check_identity, read_bundles, verify_bundle

    expect = expect or Expectation()
    shown = shown or str(evidence)
    files = (*artifact.files(), shown) if artifact else (shown,)
    kind = _sniff(evidence, shown)
    if kind == "pep740":
        if artifact is None:
            return [
                Verification(
                    status="unverifiable",
                    kind="pep740",
                    reason="a PEP 740 attestation is bound to a distribution file; none was given",
                    files=files,
                )
            ]
        results = []
        for att, claimed in pep740.read_attestations(evidence, shown):
            v = pep740.verify_attestation(
                att, artifact, publisher=expect.publisher, root=root, files=files, claimed_publisher=claimed
            )
            if v.status == "verified" and v.signer is not None:
                mismatch = check_identity(v.signer, expect.identity, expect.issuer)
                if mismatch:
                    v = v.with_(status="failed", reason=mismatch)
            results.append(v)
        return results
    if kind == "model":
        model = artifact.path if artifact and artifact.path else evidence.parent
        return [verify_model_path(model, evidence, expect=expect, root=root, shown_signature=shown)]
    return [
        verify_bundle(doc, artifact, root=root, identity=expect.identity, issuer=expect.issuer, files=files)
        for doc in read_bundles(evidence, shown)
    ]


def verify_model_path(
    model: Path,
    signature: Path,
    *,
    expect: Expectation | None = None,
    root: trust.TrustRoot | None = None,
    shown_model: str | None = None,
    shown_signature: str | None = None,
) -> Verification:
    from gate.evidence.provenance.model_signature import verify_model

    expect = expect or Expectation()
    return verify_model(
        model,
        signature,
        identity=expect.identity,
        issuer=expect.issuer,
        public_key=expect.public_key,
        certificate_chain=expect.certificate_chain,
        root=root,
        ignore_paths=expect.ignore_paths,
        shown_model=shown_model,
        shown_signature=shown_signature,
    )


def absent(artifact: Artifact, kind: Any = "none") -> Verification:
    from gate.evidence.provenance.result import Subject, Verification

    return Verification(
        status="absent",
        kind=kind,
        reason="no signature or attestation found for this artifact",
        subject=Subject(artifact.name, dict(artifact.digests)),
        files=artifact.files(),
    )


def overall(results: list[Verification]) -> str:
    """One status for several results about the same artifact: any failure fails; else any verified
    verifies; else the most informative of the rest."""
    from gate.evidence.provenance.result import STATUSES

    statuses = {v.status for v in results}
    if not statuses:
        return "absent"
    if "failed" in statuses:
        return "failed"
    if "verified" in statuses:
        return "verified"
    for s in ("unverifiable", "unsupported", "absent"):
        if s in statuses:
            return s
    return STATUSES[-1]
