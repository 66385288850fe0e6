"""GitHub artifact attestations, npm provenance and PEP 740 attestations from the shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prov_testlib import GITHUB, PEP740, dist_digests, github_digests, needs_fixtures, staging_root_path

from gate.evidence.provenance import pep740, trust
from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.sigstore_bundle import read_bundles, verify_bundle
from gate.evidence.provenance.verify import verify_file

pytestmark = needs_fixtures

CUSTOM_ID = "https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main"
CUSTOM_ISSUER = "https://token.actions.githubusercontent.com/hammer-time"
REUSABLE_ID = (
    "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@"
    "09b495c3f12c7881b3cc17209a327792065c1a1d"
)


def test_custom_issuer_attestation_verifies_with_its_identity() -> None:
    art = Artifact.from_file(GITHUB / "custom-issuer-artifact")
    [v] = verify_file(GITHUB / "custom-issuer.sigstore.json", art)
    assert v.status == "verified", v.reason
    assert v.signer and v.signer.identity == CUSTOM_ID and v.signer.issuer == CUSTOM_ISSUER
    assert v.signer.claims["source_repository_uri"] == "https://github.com/too-legit/attest"
    assert v.signer.claims["runner_environment"] == "github-hosted"
    assert v.slsa and v.slsa.source_commit == "283bf967fa3c591925dd25e6a6e8e781542117bf"
    assert v.slsa.source_ref == "refs/heads/main"
    [v2] = verify_file(
        GITHUB / "custom-issuer.sigstore.json",
        art,
        expect=__import__("gate.evidence.provenance.verify", fromlist=["Expectation"]).Expectation(
            identity=CUSTOM_ID, issuer=CUSTOM_ISSUER
        ),
    )
    assert v2.status == "verified"


def test_reusable_workflow_attestation_bound_to_listed_digest() -> None:
    d = github_digests()["reusable-workflow-artifact"]
    art = Artifact.from_digest("github_provenance_demo-0.0.0-py3-none-any.whl", str(d["sha256"]))
    [doc] = read_bundles(GITHUB / "reusable-workflow-attestation.sigstore.json")
    v = verify_bundle(doc, art, identity=REUSABLE_ID, issuer="https://token.actions.githubusercontent.com")
    assert v.status == "verified", v.reason
    assert v.kind == "github-attestation"
    assert v.slsa and v.slsa.builder_id == "https://github.com/actions/runner/github-hosted"
    assert v.signer and v.signer.claims["source_repository_uri"] == "https://github.com/malancas/attest-demo"


def test_flipped_byte_in_artifact_fails(tmp_path: Path) -> None:
    copy = tmp_path / "custom-issuer-artifact"
    shutil.copyfile(GITHUB / "custom-issuer-artifact", copy)
    data = bytearray(copy.read_bytes())
    data[0] ^= 0x01
    copy.write_bytes(bytes(data))
    [v] = verify_file(GITHUB / "custom-issuer.sigstore.json", Artifact.from_file(copy))
    assert v.status == "failed"
    assert "does not match" in v.reason


def test_wrong_identity_fails() -> None:
    art = Artifact.from_file(GITHUB / "custom-issuer-artifact")
    [doc] = read_bundles(GITHUB / "custom-issuer.sigstore.json")
    v = verify_bundle(
        doc, art, identity="https://github.com/evil/attest/.github/workflows/x.yml@refs/heads/main"
    )
    assert v.status == "failed" and "expected identity" in v.reason
    v = verify_bundle(doc, art, issuer="https://token.actions.githubusercontent.com")
    assert v.status == "failed" and "expected issuer" in v.reason


def test_private_instance_and_npm_provenance_are_unsupported() -> None:
    d = github_digests()
    whl = Artifact.from_digest(
        "github_provenance_demo-0.0.12-py3-none-any.whl",
        str(d["github_provenance_demo-0.0.12-py3-none-any.whl"]["sha256"]),
    )
    [v] = verify_file(GITHUB / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl", whl)
    assert v.status == "unsupported" and "GitHub, Inc." in v.reason
    tgz = Artifact(
        name="sigstore-js-2.1.0.tgz", digests={"sha256": str(d["sigstore-js-2.1.0.tgz"]["sha256"])}
    )
    for name in (
        "sigstore-js-2.1.0-bundle.json",
        "sigstore-js-2.1.0-bundle-v0.1.json",
        "sigstoreBundle-invalid-signature.json",
    ):
        [v] = verify_file(GITHUB / name, tgz)
        assert v.status == "unsupported", name
        assert v.kind == "npm-provenance"


def test_github_root_fixture_as_trusted_root() -> None:
    root = trust.load(GITHUB / "trusted_root.json")
    art = Artifact.from_file(GITHUB / "custom-issuer-artifact")
    [v] = verify_file(GITHUB / "custom-issuer.sigstore.json", art, root=root)
    assert v.status == "verified" and v.trust_root == str(GITHUB / "trusted_root.json")


PRODUCTION = [
    (
        "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
        "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main",
    ),
    (
        "pypi_attestation_models-0.0.4a2.tar.gz.attestation",
        "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2",
    ),
    (
        "pypi_attestations-0.0.19.tar.gz.publish.attestation",
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
    ),
    (
        "pypi_attestations-0.0.19.tar.gz.slsa.attestation",
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
    ),
    (
        "pypi_attestations-0.0.19.tar.gz.provenance",
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19",
    ),
    (
        "pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
        "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2",
    ),
]


def _dist_for(filename: str) -> Artifact:
    digests = dist_digests()
    name = next(k for k in digests if filename.startswith(k))
    return Artifact.from_digest(name, str(digests[name]["sha256"]))


@pytest.mark.parametrize(("filename", "identity"), PRODUCTION)
def test_pep740_attestations_verify_bound_to_digest(filename: str, identity: str) -> None:
    results = verify_file(PEP740 / filename, _dist_for(filename))
    assert results and all(v.status == "verified" for v in results), [v.reason for v in results]
    assert all(v.signer and v.signer.identity == identity for v in results)
    assert all(v.kind == "pep740" for v in results)


def test_pep740_wrong_digest_fails() -> None:
    dist = Artifact.from_digest("pypi_attestations-0.0.19.tar.gz", "00" * 32)
    [v] = verify_file(PEP740 / "pypi_attestations-0.0.19.tar.gz.publish.attestation", dist)
    assert v.status == "failed" and "digest" in v.reason


def test_pep740_expected_publisher_from_policy_data() -> None:
    good = pep740.publisher_from_data(
        {"kind": "GitHub", "repository": "trailofbits/pypi-attestations", "workflow": "release.yml"}
    )
    bad = pep740.publisher_from_data(
        {"kind": "GitHub", "repository": "evil/pypi-attestations", "workflow": "release.yml"}
    )
    dist = _dist_for("pypi_attestations-0.0.19.tar.gz")
    [(att, _)] = pep740.read_attestations(PEP740 / "pypi_attestations-0.0.19.tar.gz.publish.attestation")
    assert pep740.verify_attestation(att, dist, publisher=good).status == "verified"
    v = pep740.verify_attestation(att, dist, publisher=bad)
    assert v.status == "failed" and "expected publisher" in v.reason


@pytest.mark.parametrize(
    "filename",
    [
        "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
        "rfc8785-0.1.2-py3-none-any.whl.attestation",
        "rfc8785-0.1.2-py3-none-any.whl.sigstore",
    ],
)
def test_staging_signed_fails_against_production_and_verifies_against_staging(filename: str) -> None:
    dist = _dist_for(filename)
    [v] = verify_file(PEP740 / filename, dist)
    assert v.status == "failed"
    [v] = verify_file(PEP740 / filename, dist, root=trust.load(staging_root_path()))
    assert v.status == "verified", v.reason
    assert v.signer and v.signer.identity == "william@yossarian.net"


def test_npm_partial_checks_are_informational_only() -> None:
    d = github_digests()["sigstore-js-2.1.0.tgz"]
    tgz = Artifact(name="sigstore-js-2.1.0.tgz", digests={"sha256": str(d["sha256"])})
    [good] = verify_file(GITHUB / "sigstore-js-2.1.0-bundle.json", tgz)
    [bad] = verify_file(GITHUB / "sigstoreBundle-invalid-signature.json", tgz)
    assert good.status == bad.status == "unsupported"
    assert good.details["partial_checks"]["envelope_signature"] == "valid"
    assert bad.details["partial_checks"]["envelope_signature"] == "INVALID"
    assert "not comparable" in good.details["partial_checks"]["subject"]


def test_jsonl_with_several_bundles_and_bare_envelope(tmp_path: Path) -> None:
    import json

    [doc] = read_bundles(GITHUB / "custom-issuer.sigstore.json")
    jsonl = tmp_path / "artifact.intoto.jsonl"
    jsonl.write_text(json.dumps(doc) + "\n" + json.dumps({"bundle": doc}) + "\n")
    art = Artifact.from_file(GITHUB / "custom-issuer-artifact")
    results = verify_file(jsonl, art)
    assert [v.status for v in results] == ["verified", "verified"]
    bare = tmp_path / "old.intoto.jsonl"
    bare.write_text(json.dumps(doc["dsseEnvelope"]))
    [v] = verify_file(bare, art)
    assert v.status == "unsupported" and "bare DSSE envelope" in v.reason


def test_staging_failure_explains_the_trust_root() -> None:
    [v] = verify_file(
        PEP740 / "rfc8785-0.1.2-py3-none-any.whl.sigstore", _dist_for("rfc8785-0.1.2-py3-none-any.whl")
    )
    assert v.status == "failed" and "does not chain to the trusted root" in v.reason


def test_pep740_identity_flag_is_enforced() -> None:
    from gate.evidence.provenance.verify import Expectation

    dist = _dist_for("pypi_attestations-0.0.19.tar.gz")
    path = PEP740 / "pypi_attestations-0.0.19.tar.gz.publish.attestation"
    [v] = verify_file(
        path,
        dist,
        expect=Expectation(identity="https://github.com/evil/x/.github/workflows/r.yml@refs/tags/v1"),
    )
    assert v.status == "failed" and "expected identity" in v.reason
    ok = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19"
    [v] = verify_file(
        path, dist, expect=Expectation(identity=ok, issuer="https://token.actions.githubusercontent.com")
    )
    assert v.status == "verified"
