"""Read the signer's identity and every Fulcio claim out of a signing certificate.

Fulcio puts the OIDC token's claims into X.509 extensions under ``1.3.6.1.4.1.57264.1``
(https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). The deprecated ``.1`` to ``.6`` hold raw
strings; ``.8`` and later hold DER UTF8String values. Policy judges these claims; nothing here decides
whether they are trusted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from gate.evidence.provenance.result import Signer

FULCIO_PREFIX = "1.3.6.1.4.1.57264.1."
OTHERNAME_OID = "1.3.6.1.4.1.57264.1.7"

# OID suffix -> claim name. Raw string (v1) extensions first, DER (v2) ones after.
CLAIM_NAMES: dict[str, str] = {
    "1": "issuer_v1",
    "2": "github_workflow_trigger",
    "3": "github_workflow_sha",
    "4": "github_workflow_name",
    "5": "github_workflow_repository",
    "6": "github_workflow_ref",
    "8": "issuer",
    "9": "build_signer_uri",
    "10": "build_signer_digest",
    "11": "runner_environment",
    "12": "source_repository_uri",
    "13": "source_repository_digest",
    "14": "source_repository_ref",
    "15": "source_repository_identifier",
    "16": "source_repository_owner_uri",
    "17": "source_repository_owner_identifier",
    "18": "build_config_uri",
    "19": "build_config_digest",
    "20": "build_trigger",
    "21": "run_invocation_uri",
    "22": "source_repository_visibility",
}
_RAW_STRING = {"1", "2", "3", "4", "5", "6"}


def _der_utf8(value: bytes) -> str:
    """Decode a DER UTF8String (tag 0x0C, short or long length form)."""
    if len(value) < 2 or value[0] != 0x0C:
        return value.decode("utf-8", errors="replace")
    length = value[1]
    offset = 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(value[2 : 2 + n], "big")
        offset = 2 + n
    return value[offset : offset + length].decode("utf-8", errors="replace")


def fulcio_claims(cert: x509.Certificate) -> dict[str, str]:
    claims: dict[str, str] = {}
    for ext in cert.extensions:
        dotted = ext.oid.dotted_string
        if not dotted.startswith(FULCIO_PREFIX):
            continue
        suffix = dotted[len(FULCIO_PREFIX) :]
        name = CLAIM_NAMES.get(suffix)
        if name is None or not isinstance(ext.value, x509.UnrecognizedExtension):
            continue
        raw = ext.value.value
        claims[name] = raw.decode("utf-8", errors="replace") if suffix in _RAW_STRING else _der_utf8(raw)
    return claims


def san_identity(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for kind in (x509.UniformResourceIdentifier, x509.RFC822Name):
        values = san.get_values_for_type(kind)
        if values:
            return str(values[0])
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id.dotted_string == OTHERNAME_OID:
            return _der_utf8(other.value)
    return None


def _name_attr(name: x509.Name, oid: Any) -> str | None:
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def key_fingerprint(public_key: Any) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def signer_from_certificate(cert: x509.Certificate) -> Signer:
    claims = fulcio_claims(cert)
    issuer = claims.get("issuer") or claims.get("issuer_v1")
    org = _name_attr(cert.issuer, NameOID.ORGANIZATION_NAME)
    subject = cert.subject.rfc4514_string() or None
    return Signer(
        identity=san_identity(cert),
        issuer=issuer,
        claims={k: v for k, v in claims.items() if k != "issuer_v1" or "issuer" not in claims},
        key_fingerprint=key_fingerprint(cert.public_key()),
        certificate_subject=subject,
        certificate_issuer=org or _name_attr(cert.issuer, NameOID.COMMON_NAME),
    )
