"""`gate verify` and `gate verify-vsa` as a user runs them: output, exit codes, hostile inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from prov_testlib import GITHUB, MODEL_IDENTITY, MODEL_ISSUER, MODELS, PEP740, dist_digests, needs_fixtures

from gate.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


@needs_fixtures
def test_verify_attestation_json_exit_0() -> None:
    code, out, _ = run(
        "verify",
        str(GITHUB / "custom-issuer-artifact"),
        "--attestation",
        str(GITHUB / "custom-issuer.sigstore.json"),
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "gate/verify/v1" and doc["status"] == "verified"
    v = doc["verifications"][0]
    assert v["signer"]["claims"]["github_workflow_repository"] == "too-legit/attest"
    assert v["slsa"]["source_repository"] == "https://github.com/too-legit/attest"


@needs_fixtures
def test_verify_wrong_identity_exit_1() -> None:
    code, out, _ = run(
        "verify",
        str(GITHUB / "custom-issuer-artifact"),
        "--bundle",
        str(GITHUB / "custom-issuer.sigstore.json"),
        "--identity",
        "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main",
    )
    assert code == 1
    assert "expected identity" in out and "result: failed" in out


@needs_fixtures
def test_verify_unsupported_exit_2_by_digest() -> None:
    code, out, _ = run(
        "verify",
        "github_provenance_demo-0.0.12-py3-none-any.whl",
        "--digest",
        "sha256:ae57936def59bc4c75edd3a837d89bcefc6d3a5e31d55a6fa7a71624f92c3c3b",
        "--attestation",
        str(GITHUB / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"),
    )
    assert code == 2
    assert "unsupported" in out


@needs_fixtures
def test_verify_model_folder_and_tampered_copy(tmp_path: Path) -> None:
    code, out, _ = run(
        "verify",
        str(MODELS / "v1.0.1-sigstore"),
        "--identity",
        MODEL_IDENTITY,
        "--issuer",
        MODEL_ISSUER,
        "--ignore-path",
        "ignore-me",
    )
    assert code == 0, out
    code, out, _ = run(
        "verify", str(MODELS / "v1.0.1-sigstore"), "--identity", MODEL_IDENTITY, "--issuer", MODEL_ISSUER
    )
    assert code == 1 and "ignore-me" in out  # an unsigned extra file unless declared ignored
    folder = tmp_path / "m"
    shutil.copytree(MODELS / "v1.0.1-elliptic-key", folder)
    (folder / "added.bin").write_bytes(b"\x00")
    code, out, _ = run(
        "verify",
        str(folder),
        "--public-key",
        str(MODELS / "keys" / "signing-key-pub.pem"),
        "--ignore-path",
        "ignore-me",
    )
    assert code == 1 and "added.bin" in out
    code, out, _ = run(
        "verify",
        str(MODELS / "v1.1.0-certificate"),
        "--certificate-chain",
        str(MODELS / "keys" / "ca-cert.pem"),
    )
    assert code == 0, out


@needs_fixtures
def test_verify_pep740_with_publisher(tmp_path: Path) -> None:
    digest = dist_digests()["pypi_attestations-0.0.19.tar.gz"]["sha256"]
    base = [
        "verify",
        "pypi_attestations-0.0.19.tar.gz",
        "--digest",
        f"sha256:{digest}",
        "--attestation",
        str(PEP740 / "pypi_attestations-0.0.19.tar.gz.provenance"),
    ]
    code, out, _ = run(
        *base,
        "--publisher",
        '{"kind":"GitHub","repository":"trailofbits/pypi-attestations","workflow":"release.yml"}',
    )
    assert code == 0, out
    code, out, _ = run(*base, "--publisher", '{"kind":"GitHub","repository":"a/b","workflow":"release.yml"}')
    assert code == 1


def test_verify_no_signature_is_absent_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "pkg-1.0.tar.gz"
    f.write_bytes(b"not signed")
    code, out, _ = run("verify", str(f))
    assert code == 2 and "absent" in out


def test_verify_sidecar_discovery(tmp_path: Path) -> None:
    if not GITHUB.is_dir():
        pytest.skip("fixtures")
    art = tmp_path / "artifact.bin"
    shutil.copyfile(GITHUB / "custom-issuer-artifact", art)
    shutil.copyfile(GITHUB / "custom-issuer.sigstore.json", tmp_path / "artifact.bin.sigstore.json")
    code, out, _ = run("verify", str(art))
    assert code == 0, out


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", ',
        b"[" * 100_000,
        b"\x00\x01\x02binary",
    ],
    ids=["empty", "truncated", "deeply-nested", "binary"],
)
def test_hostile_bundle_is_one_line_input_error(tmp_path: Path, content: bytes) -> None:
    art = tmp_path / "a.txt"
    art.write_text("hello")
    bad = tmp_path / "bad.sigstore.json"
    bad.write_bytes(content)
    code, _out, err = run("verify", str(art), "--bundle", str(bad))
    assert code == 2
    assert "bad.sigstore.json" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_hostile_trusted_root_is_input_error(tmp_path: Path) -> None:
    art = tmp_path / "a.txt"
    art.write_text("hello")
    root = tmp_path / "root.json"
    root.write_text('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": 5}')
    bundle = tmp_path / "a.txt.sigstore.json"
    bundle.write_text("{}")
    code, _, err = run("verify", str(art), "--bundle", str(bundle), "--trusted-root", str(root))
    assert code == 2
    assert "root.json" in err and "not a valid Sigstore trusted root" in err
    assert "Traceback" not in err


def test_huge_bundle_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gate.safeio

    monkeypatch.setattr(gate.safeio, "DEFAULT_MAX_BYTES", 1024)
    art = tmp_path / "a.txt"
    art.write_text("hello")
    bundle = tmp_path / "big.sigstore.json"
    bundle.write_text('{"x": "' + "a" * 5000 + '"}')
    code, _, err = run("verify", str(art), "--bundle", str(bundle))
    assert code == 2 and "too large" in err


@needs_fixtures
def test_json_output_stays_clean_when_the_library_prints_warnings() -> None:
    code, out, _ = run(
        "verify",
        str(MODELS / "v1.0.0-elliptic-key"),
        "--public-key",
        str(MODELS / "keys" / "signing-key-pub.pem"),
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert "older verification material" in doc["verifications"][0]["details"]["notes"]


@needs_fixtures
def test_single_file_model_signed_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(MODELS / "v1.0.0-elliptic-key", folder)
    pub = str(MODELS / "keys" / "signing-key-pub.pem")
    code, out, _ = run("verify", str(folder / "signme-1"), "--public-key", pub)
    assert code == 0, out
    (folder / "signme-1").chmod(0o644)
    (folder / "signme-1").write_bytes(b"changed")
    code, out, _ = run("verify", str(folder / "signme-1"), "--public-key", pub)
    assert code == 1 and "differ from the signed digest" in out


@needs_fixtures
def test_json_output_matches_the_verification_schema() -> None:
    import jsonschema

    from gate.evidence.provenance.result import VERIFICATION_SCHEMA

    for args in (
        [
            str(GITHUB / "custom-issuer-artifact"),
            "--attestation",
            str(GITHUB / "custom-issuer.sigstore.json"),
        ],
        [str(MODELS / "v1.1.0-sigstore")],
        [
            "x.tgz",
            "--digest",
            "sha256:" + "00" * 32,
            "--bundle",
            str(GITHUB / "sigstore-js-2.1.0-bundle.json"),
        ],
    ):
        _, out, _ = run("verify", *args, "--format", "json")
        doc = json.loads(out)
        assert doc["schema"] == "gate/verify/v1"
        assert doc["status"] in ("verified", "failed", "unverifiable", "unsupported", "absent")
        for v in doc["verifications"]:
            jsonschema.validate(v, VERIFICATION_SCHEMA)
