"""OpenSSF model signing (OMS, ``model-signing`` 1.1): verify a signed model folder or file.

The signature (``model.sig``, a Sigstore bundle holding a DSSE in-toto statement whose predicate lists
every file's digest) is checked with one of three methods:

- ``sigstore``: keyless, verified offline against the pinned trust root (never the library's online
  TUF refresh), the identity and issuer compared when asked for and always recorded;
- ``public-key``: an EC public key (``--public-key``);
- ``certificate``: a certificate chain to a root given with ``--certificate-chain``.

Then the signed manifest is compared with the files on disk: every file is hashed (streamed, in parallel,
cached; :mod:`gate.hashing`) and mismatched, missing and extra files are reported by name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any, Literal

from gate.errors import InputError
from gate.evidence.provenance import trust
from gate.evidence.provenance.claims import key_fingerprint, signer_from_certificate
from gate.evidence.provenance.result import Signer, Subject, Verification
from gate.evidence.provenance.sigstore_bundle import _make_verifier, _RecordClaimsOnly, _short, check_identity
from gate.hashing import hash_files
from gate.safeio import parse_json, read_text

Method = Literal["sigstore", "public-key", "certificate"]
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
SIGNATURE_NAMES = ("model.sig",)


def signature_method(sig_doc: dict[str, Any]) -> Method | None:
    vm = sig_doc.get("verificationMaterial")
    if not isinstance(vm, dict):
        return None
    if "publicKey" in vm:
        return "public-key"
    if "x509CertificateChain" in vm:
        return "certificate"
    if "certificate" in vm:
        return "sigstore"
    return None


def _verify_signature(
    sig_path: Path,
    method: Method,
    *,
    root: trust.TrustRoot,
    public_key: Path | None,
    certificate_chain: tuple[Path, ...],
) -> tuple[Any, Signer | None]:
    """Check the signature; return the signed manifest and the signer. Raises ValueError (and library
    errors) on a bad signature."""
    from model_signing._signing import sign_certificate, sign_ec_key, sign_sigstore, sign_sigstore_pb, signing

    if method == "sigstore":

        class _PinnedSigstoreVerifier(signing.Verifier):  # the library's extension point
            def __init__(self) -> None:
                self._verifier = _make_verifier(root)

            def _verify_signed_content(self, signature: Any) -> tuple[str, bytes]:
                return self._verifier.verify_dsse(bundle=signature.bundle, policy=_RecordClaimsOnly())

        sig = sign_sigstore.Signature.read(sig_path)
        manifest = _PinnedSigstoreVerifier().verify(sig)
        return manifest, signer_from_certificate(sig.bundle.signing_certificate)

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    pb_sig = sign_sigstore_pb.Signature.read(sig_path)
    if method == "public-key":
        assert public_key is not None
        manifest = sign_ec_key.Verifier(public_key).verify(pb_sig)
        key = serialization.load_pem_public_key(public_key.read_bytes())
        return manifest, Signer(key_fingerprint=key_fingerprint(key))
    manifest = sign_certificate.Verifier(list(certificate_chain)).verify(pb_sig)
    chain_pb = pb_sig.bundle.verification_material.x509_certificate_chain
    if chain_pb is None or not chain_pb.certificates:
        raise ValueError("the signature holds no certificate chain")
    chain = chain_pb.certificates
    leaf = x509.load_der_x509_certificate(_raw(chain[0].raw_bytes))
    return manifest, signer_from_certificate(leaf)


def _raw(value: Any) -> bytes:
    import base64

    if isinstance(value, bytes):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            return value
    return base64.b64decode(value)


def _disk_files(model: Path, ignored: set[str]) -> tuple[dict[str, Path], list[str]]:
    """Regular files under ``model`` keyed by POSIX relative path, minus ignored paths; and symlinks."""
    files: dict[str, Path] = {}
    links: list[str] = []
    for dirpath, dirnames, filenames in os.walk(model, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(model).as_posix()
        keep = []
        for d in sorted(dirnames):
            rel = d if rel_dir == "." else f"{rel_dir}/{d}"
            if rel in ignored:
                continue
            if (here / d).is_symlink():
                links.append(rel)
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in filenames:
            rel = f if rel_dir == "." else f"{rel_dir}/{f}"
            if rel in ignored:
                continue
            p = here / f
            if p.is_symlink():
                links.append(rel)
                continue
            files[rel] = p
    return files, sorted(links)


def compare_manifest(model: Path, manifest: Any, ignored: set[str]) -> dict[str, Any]:
    """Compare the signed manifest with the files on disk: ``{mismatched, missing, extra, symlinks, files}``."""
    serialization = dict(manifest.serialization_type)
    method = serialization.get("method")
    expected = {
        rd.identifier: (rd.digest.algorithm, rd.digest.digest_hex) for rd in manifest.resource_descriptors()
    }
    if method == "shards":
        from model_signing import hashing as ms_hashing

        actual_manifest = (
            ms_hashing.Config()
            .use_shard_serialization(
                hashing_algorithm=serialization.get("hash_type", "sha256"),
                shard_size=int(serialization["shard_size"]),
                allow_symlinks=False,
                ignore_paths=[model / p for p in ignored],
            )
            .hash(model)
        )
        actual = {
            rd.identifier: (rd.digest.algorithm, rd.digest.digest_hex)
            for rd in actual_manifest.resource_descriptors()
        }
        links: list[str] = []
    else:
        if set(expected) == {"."}:
            # A single-file model: the manifest names it by the model name.
            single = model if model.is_file() else model / manifest.model_name
            algorithm = expected["."][0]
            actual = {".": (algorithm, hash_files([single], algorithm)[single])} if single.is_file() else {}
            links = []
        else:
            disk, links = _disk_files(model, ignored)
            by_alg: dict[str, list[str]] = {}
            for rel in disk:
                alg = expected.get(rel, ("sha256", ""))[0]
                by_alg.setdefault(alg, []).append(rel)
            actual = {}
            for alg, rels in by_alg.items():
                digests = hash_files([disk[r] for r in rels], alg)
                actual.update({r: (alg, digests[disk[r]]) for r in rels})
    mismatched = sorted(k for k in expected.keys() & actual.keys() if expected[k][1] != actual[k][1])
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    allow_links = str(serialization.get("allow_symlinks", "false")).lower() == "true"
    return {
        "files": len(expected),
        "mismatched": mismatched,
        "missing": missing,
        "extra": extra,
        "symlinks": [] if allow_links else links,
        "serialization": {k: v for k, v in serialization.items() if k != "ignore_paths"},
        "signed_ignore_paths": sorted(serialization.get("ignore_paths") or []),
    }


def verify_model(
    model: Path,
    signature: Path,
    *,
    method: Method | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    public_key: Path | None = None,
    certificate_chain: tuple[Path, ...] = (),
    root: trust.TrustRoot | None = None,
    ignore_paths: tuple[str, ...] = (),
    shown_model: str | None = None,
    shown_signature: str | None = None,
) -> Verification:
    """Verify one OMS-signed model (a folder, or a single file) against its signature file."""
    root = root or trust.pinned()
    shown_model = shown_model or str(model)
    shown_sig = shown_signature or str(signature)
    files = (shown_model, shown_sig)
    doc = parse_json(read_text(signature, shown=shown_sig), shown_sig)
    if not isinstance(doc, dict):
        raise InputError("not a model signature (expected a Sigstore bundle object)", path=shown_sig)
    found = signature_method(doc)
    method = method or ("public-key" if public_key else "certificate" if certificate_chain else found)
    base: dict[str, Any] = {"kind": "model-signing", "files": files, "method": method}
    subject = Subject(name=model.name)
    if method is None:
        return Verification(
            status="unsupported", reason="the signature holds no certificate or key material", **base
        )
    if found is not None and method != found:
        return Verification(
            status="failed",
            reason=f"the signature was made with a {found} signer, but {method} verification was requested",
            subject=subject,
            **base,
        )
    if method == "public-key" and public_key is None:
        return Verification(
            status="unverifiable",
            reason="the model is signed with a private key; pass its public key (--public-key) to verify it",
            subject=subject,
            **base,
        )
    if method == "certificate" and not certificate_chain:
        return Verification(
            status="unverifiable",
            reason="the model is signed with a certificate; pass the CA chain (--certificate-chain) to verify it",
            subject=subject,
            **base,
        )
    if method == "sigstore":
        base["trust_root"] = root.label
    printed = io.StringIO()
    try:
        # model-signing prints warnings to stdout, which would corrupt `gate verify --format json`.
        with contextlib.redirect_stdout(printed):
            manifest, signer = _verify_signature(
                signature, method, root=root, public_key=public_key, certificate_chain=certificate_chain
            )
    except Exception as e:
        if isinstance(e, InputError):
            raise
        return Verification(status="failed", reason=f"signature: {_short(e)}", subject=subject, **base)

    subject = Subject(name=str(manifest.model_name), digest={})
    if signer is not None and (identity is not None or issuer is not None):
        if method == "public-key":
            mismatch: str | None = (
                "an identity was required, but the model is signed with a bare key (no identity)"
            )
        else:
            mismatch = check_identity(signer, identity, issuer)
        if mismatch:
            return Verification(status="failed", reason=mismatch, subject=subject, signer=signer, **base)
    sig_rel = _relative(signature, model)
    ignored = set(GIT_PATHS) | set(ignore_paths) | set(SIGNATURE_NAMES)
    if sig_rel:
        ignored.add(sig_rel)
    ignored |= set(manifest.serialization_type.get("ignore_paths") or ())
    diff = compare_manifest(model, manifest, ignored)
    notes = " ".join(printed.getvalue().split())
    if notes:
        diff["notes"] = notes
    problems = []
    if diff["mismatched"]:
        problems.append(
            f"{len(diff['mismatched'])} file(s) differ from the signed digest: {_names(diff['mismatched'])}"
        )
    if diff["missing"]:
        problems.append(f"{len(diff['missing'])} signed file(s) missing: {_names(diff['missing'])}")
    if diff["extra"]:
        problems.append(f"{len(diff['extra'])} file(s) not covered by the signature: {_names(diff['extra'])}")
    if diff["symlinks"]:
        problems.append(f"symlinks are not allowed by the signature: {_names(diff['symlinks'])}")
    if problems:
        return Verification(
            status="failed", reason="; ".join(problems), subject=subject, signer=signer, details=diff, **base
        )
    how = {
        "sigstore": "Sigstore certificate",
        "public-key": "public key",
        "certificate": "certificate chain",
    }[method]
    return Verification(
        status="verified",
        reason=f"signature verified with the {how}; all {diff['files']} signed file(s) match the files on disk",
        subject=subject,
        signer=signer,
        details=diff,
        **base,
    )


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def _names(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def read_signature_doc(path: Path, shown: str | None = None) -> dict[str, Any]:
    doc = parse_json(read_text(path, shown=shown or str(path)), shown or str(path))
    if not isinstance(doc, dict):
        raise InputError("not a model signature", path=shown or str(path))
    return doc


def is_model_signature(doc: dict[str, Any]) -> bool:
    """True when the bundle's DSSE statement carries the OMS predicate (read, not trusted)."""
    import base64

    env = doc.get("dsseEnvelope")
    if not isinstance(env, dict) or not isinstance(env.get("payload"), str):
        return False
    try:
        stmt = json.loads(base64.b64decode(env["payload"]))
    except (ValueError, TypeError):
        return False
    return isinstance(stmt, dict) and str(stmt.get("predicateType", "")).startswith("https://model_signing/")
