"""OpenSSF model signing: the shared fixture folders, tampering, and models signed here with throwaway keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from prov_testlib import MODEL_IDENTITY, MODEL_ISSUER, MODELS, needs_fixtures

from gate.evidence.provenance.model_signature import verify_model

FOLDERS = sorted(p.name for p in MODELS.glob("v*")) if MODELS.is_dir() else []


def _kwargs(name: str) -> dict[str, object]:
    if name.endswith("sigstore"):
        return {"identity": MODEL_IDENTITY, "issuer": MODEL_ISSUER}
    if name.endswith("elliptic-key"):
        return {"public_key": MODELS / "keys" / "signing-key-pub.pem"}
    return {"certificate_chain": (MODELS / "keys" / "ca-cert.pem",)}


@needs_fixtures
@pytest.mark.parametrize("name", FOLDERS)
def test_fixture_folder_verifies(name: str) -> None:
    folder = MODELS / name
    v = verify_model(folder, folder / "model.sig", ignore_paths=("ignore-me",), **_kwargs(name))  # type: ignore[arg-type]
    assert v.status == "verified", v.reason
    assert v.kind == "model-signing"
    assert not v.details["mismatched"] and not v.details["missing"] and not v.details["extra"]
    if name.endswith("sigstore"):
        assert v.signer and v.signer.identity == MODEL_IDENTITY and v.signer.issuer == MODEL_ISSUER
        assert v.trust_root and "pinned" in v.trust_root


@needs_fixtures
def test_sigstore_model_without_identity_records_signer_for_policy() -> None:
    folder = MODELS / "v1.1.0-sigstore"
    v = verify_model(folder, folder / "model.sig")
    assert v.status == "verified"
    assert v.signer and v.signer.identity == MODEL_IDENTITY


@needs_fixtures
def test_flipped_byte_added_file_and_missing_file_fail(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(MODELS / "v1.1.0-sigstore", folder)
    kw = {"identity": MODEL_IDENTITY, "issuer": MODEL_ISSUER}
    target = folder / "signme-1"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[-1] ^= 0x01
    target.write_bytes(bytes(data))
    v = verify_model(folder, folder / "model.sig", **kw)  # type: ignore[arg-type]
    assert v.status == "failed" and v.details["mismatched"] == ["signme-1"]

    shutil.rmtree(folder)
    shutil.copytree(MODELS / "v1.1.0-sigstore", folder)
    (folder / "backdoor.bin").write_bytes(b"extra weights")
    v = verify_model(folder, folder / "model.sig", **kw)  # type: ignore[arg-type]
    assert v.status == "failed" and v.details["extra"] == ["backdoor.bin"]
    assert "not covered by the signature" in v.reason

    (folder / "backdoor.bin").unlink()
    (folder / "signme-2").chmod(0o644)
    (folder / "signme-2").unlink()
    v = verify_model(folder, folder / "model.sig", **kw)  # type: ignore[arg-type]
    assert v.status == "failed" and v.details["missing"] == ["signme-2"]


@needs_fixtures
def test_wrong_identity_and_wrong_key_fail() -> None:
    folder = MODELS / "v1.1.0-sigstore"
    v = verify_model(folder, folder / "model.sig", identity="someone@example.com", issuer=MODEL_ISSUER)
    assert v.status == "failed" and "expected identity" in v.reason
    folder = MODELS / "v1.1.0-elliptic-key"
    v = verify_model(folder, folder / "model.sig", public_key=MODELS / "keys" / "signing-key-cert.pem")
    assert v.status == "failed"


def _write_key(tmp_path: Path) -> tuple[Path, Path]:
    priv = ec.generate_private_key(ec.SECP256R1())
    priv_path = tmp_path / "key.pem"
    pub_path = tmp_path / "key.pub.pem"
    priv_path.write_bytes(
        priv.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pub_path.write_bytes(
        priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return priv_path, pub_path


def _sign(model: Path, key: Path) -> Path:
    from model_signing import hashing, signing

    sig = model / "model.sig"
    (
        signing.Config()
        .use_elliptic_key_signer(private_key=key)
        .set_hashing_config(hashing.Config().set_ignored_paths(paths=["model.sig"]))
        .sign(model, sig)
    )
    return sig


def test_own_model_signed_with_throwaway_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    priv, pub = _write_key(keys)
    model = tmp_path / "tiny-model"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text('{"hidden_size": 8}')
    (model / "sub" / "weights.safetensors").write_bytes(bytes(range(256)) * 64)
    sig = _sign(model, priv)
    v = verify_model(model, sig, public_key=pub)
    assert v.status == "verified", v.reason
    assert v.method == "public-key" and v.signer and v.signer.key_fingerprint
    assert v.details["files"] == 2

    _, other_pub = _write_key(tmp_path)
    v = verify_model(model, sig, public_key=other_pub)
    assert v.status == "failed"

    v = verify_model(model, sig)
    assert v.status == "unverifiable" and "--public-key" in v.reason

    (model / "sub" / "weights.safetensors").write_bytes(bytes(range(256)) * 63)
    v = verify_model(model, sig, public_key=pub)
    assert v.status == "failed" and v.details["mismatched"] == ["sub/weights.safetensors"]


def test_malformed_signature_file_is_input_error(tmp_path: Path) -> None:
    from gate.errors import InputError

    model = tmp_path / "m"
    model.mkdir()
    (model / "w.bin").write_bytes(b"x")
    (model / "model.sig").write_text('{"mediaType": ' * 400)
    with pytest.raises(InputError) as e:
        verify_model(model, model / "model.sig")
    assert "model.sig" in e.value.diagnostics()
    (model / "model.sig").write_text(
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", '
        '"verificationMaterial": {"certificate": {"rawBytes": "AAAA"}}}'
    )
    v = verify_model(model, model / "model.sig")
    assert v.status == "failed"


@needs_fixtures
def test_required_identity_is_enforced_for_every_method() -> None:
    folder = MODELS / "v1.1.0-certificate"
    v = verify_model(
        folder,
        folder / "model.sig",
        certificate_chain=(MODELS / "keys" / "ca-cert.pem",),
        identity="release@example.com",
    )
    assert v.status == "failed" and "expected identity" in v.reason
    assert v.signer and v.signer.certificate_subject == "CN=intermediate-ca"
    folder = MODELS / "v1.1.0-elliptic-key"
    v = verify_model(
        folder,
        folder / "model.sig",
        public_key=MODELS / "keys" / "signing-key-pub.pem",
        identity="release@example.com",
    )
    assert v.status == "failed" and "bare key" in v.reason
