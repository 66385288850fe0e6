"""Verification summary attestations: built for a decision, signed with a throwaway key, verified."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gate.cli import cli
from gate.errors import InputError
from gate.evidence.provenance import vsa
from gate.evidence.provenance.artifact import Artifact
from gate.policy.result import Evaluation, Result


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    priv = ec.generate_private_key(ec.SECP256R1())
    k = tmp_path / "vsa-key.pem"
    p = tmp_path / "vsa-key.pub"
    k.write_bytes(
        priv.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    p.write_bytes(
        priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return k, p


DOC = {"target": {"name": "server"}, "provenance": {"artifacts": [], "verifications": []}}
SBOM = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": "httpx"}]}


def test_build_vsa_subject_is_sbom_digest_without_artifacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    ev = Evaluation(results=(), policy_digest="sha256:" + "ab" * 32)
    stmt = vsa.build_vsa(DOC, SBOM, ev)
    assert stmt["predicateType"] == "https://slsa.dev/verification_summary/v1"
    assert stmt["subject"] == [{"name": "server.cdx.json", "digest": {"sha256": vsa.sbom_digest(SBOM)}}]
    p = stmt["predicate"]
    assert p["verificationResult"] == "PASSED"
    assert p["policy"]["digest"] == {"sha256": "ab" * 32}
    assert p["timeVerified"] == "2026-01-01T00:00:00Z"
    assert p["verifier"]["id"].startswith("https://")
    assert vsa.build_vsa(DOC, SBOM, ev) == stmt  # deterministic


def test_sign_and_verify_with_throwaway_key(tmp_path: Path) -> None:
    key, pub = _keys(tmp_path)
    wheel = tmp_path / "server-1.0-py3-none-any.whl"
    wheel.write_bytes(b"release")
    art = Artifact.from_file(wheel)
    stmt = vsa.build_vsa(DOC, SBOM, Evaluation(results=()), artifacts=[art])
    out = tmp_path / "vsa.intoto.json"
    vsa.write_vsa(out, vsa.sign_vsa(stmt, key=key))
    v = vsa.verify_vsa_file(out, public_key=pub, artifacts=[art])
    assert v.status == "verified", v.reason
    assert v.details["verification_result"] == "PASSED"

    other = tmp_path / "other.whl"
    other.write_bytes(b"something else")
    v = vsa.verify_vsa_file(out, public_key=pub, artifacts=[Artifact.from_file(other)])
    assert v.status == "failed" and "does not name" in v.reason

    _, other_pub = _keys(tmp_path / "..")
    assert vsa.verify_vsa_file(out, public_key=other_pub).status == "failed"

    env = json.loads(out.read_text())
    stmt2 = json.loads(base64.b64decode(env["payload"]))
    stmt2["predicate"]["verificationResult"] = "PASSED"
    stmt2["subject"][0]["digest"]["sha256"] = "00" * 32
    env["payload"] = base64.b64encode(json.dumps(stmt2).encode()).decode()
    out.write_text(json.dumps(env))
    assert vsa.verify_vsa_file(out, public_key=pub).status == "failed"


def test_failed_decision_vsa_and_cli(tmp_path: Path) -> None:
    key, pub = _keys(tmp_path)
    block = Evaluation(results=(Result(code="provenance.verification_failed", kind="deny", msg="x"),))
    stmt = vsa.build_vsa(DOC, SBOM, block)
    assert stmt["predicate"]["verificationResult"] == "FAILED"
    out = tmp_path / "vsa.json"
    vsa.write_vsa(out, vsa.sign_vsa(stmt, key=key))
    r = CliRunner().invoke(cli, ["verify-vsa", str(out), "--public-key", str(pub), "--format", "json"])
    assert r.exit_code == 1
    assert json.loads(r.stdout)["verifications"][0]["details"]["verification_result"] == "FAILED"

    stmt = vsa.build_vsa(DOC, SBOM, Evaluation(results=()))
    vsa.write_vsa(out, vsa.sign_vsa(stmt, key=key))
    r = CliRunner().invoke(cli, ["verify-vsa", str(out), "--public-key", str(pub)])
    assert r.exit_code == 0, r.stdout
    r = CliRunner().invoke(cli, ["verify-vsa", str(out)])
    assert r.exit_code == 2


def test_wrong_key_type_and_no_subject(tmp_path: Path) -> None:
    bad = tmp_path / "rsa.pem"
    from cryptography.hazmat.primitives.asymmetric import rsa

    bad.write_bytes(
        rsa.generate_private_key(65537, 2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(InputError):
        vsa.sign_vsa(vsa.build_vsa(DOC, SBOM, Evaluation(results=())), key=bad)
    from gate.errors import UsageError

    with pytest.raises(UsageError):
        vsa.build_vsa(DOC, None, Evaluation(results=()))


def test_write_check_vsa_names_release_artifacts(tmp_path: Path) -> None:
    key, pub = _keys(tmp_path)
    doc = {
        "target": {"name": "server"},
        "provenance": {
            "artifacts": [
                {"path": "dist/server-1.0.tar.gz", "release": True, "digest": {"sha256": "aa" * 32}},
                {"path": "models/m.safetensors", "release": False, "digest": {"sha256": "bb" * 32}},
            ],
            "verifications": [
                {
                    "status": "verified",
                    "files": ["dist/server-1.0.tar.gz", "dist/server-1.0.tar.gz.sigstore.json"],
                }
            ],
        },
    }
    out = tmp_path / "out" / "vsa.intoto.json"
    vsa.write_check_vsa(out, doc, SBOM, Evaluation(results=(), policy_digest="sha256:" + "cd" * 32), key=key)
    v = vsa.verify_vsa_file(
        out, public_key=pub, artifacts=[Artifact.from_digest("server-1.0.tar.gz", "aa" * 32)]
    )
    assert v.status == "verified"
    stmt = json.loads(base64.b64decode(json.loads(out.read_text())["payload"]))
    assert [s["name"] for s in stmt["subject"]] == ["dist/server-1.0.tar.gz"]
    assert stmt["predicate"]["inputAttestations"] == [{"uri": "dist/server-1.0.tar.gz.sigstore.json"}]


def test_keyless_without_ambient_token_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sigstore.oidc

    from gate.errors import UsageError

    monkeypatch.setattr(sigstore.oidc, "detect_credential", lambda *a, **k: None)
    with pytest.raises(UsageError) as e:
        vsa.sign_vsa(vsa.build_vsa(DOC, SBOM, Evaluation(results=())))
    assert "ambient OIDC token" in e.value.message


def test_sigstore_signed_statement_identity_checked_without_subject() -> None:
    from prov_testlib import CONFORMANCE

    if not CONFORMANCE.is_dir():
        pytest.skip("fixtures")
    bundle = CONFORMANCE / "happy-path-intoto-in-dsse-v3" / "bundle.sigstore.json"
    issuer = "https://token.actions.githubusercontent.com"
    v = vsa.verify_vsa_file(bundle, identity="https://example.com/not-the-signer", issuer=issuer)
    assert v.status == "failed" and "expected identity" in v.reason
    ident = (
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/"
        "extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    )
    v = vsa.verify_vsa_file(bundle, identity=ident, issuer=issuer)
    assert v.status == "failed" and "not a VSA" in v.reason
