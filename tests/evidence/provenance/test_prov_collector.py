"""The provenance evidence collector on small targets built in tmp_path (fixtures copied, never modified)."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prov_testlib import GITHUB, MODELS, PEP740, dist_digests, needs_fixtures

from gate.collect import Inventory, Settings
from gate.config import GateConfig
from gate.evidence.provenance import pep740
from gate.evidence.provenance.collector import ProvenanceCollector
from gate.model import Component, Hash, Location, Source


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path / "cache"))


def _inventory(target: Path, **kw: Any) -> Inventory:
    return Inventory(Settings(target=target, **kw))


@needs_fixtures
def test_release_artifact_model_folder_and_unsigned_model(tmp_path: Path) -> None:
    target = tmp_path / "server"
    (target / "dist").mkdir(parents=True)
    shutil.copyfile(GITHUB / "custom-issuer-artifact", target / "dist" / "server-1.0.tar.gz")
    shutil.copyfile(
        GITHUB / "custom-issuer.sigstore.json", target / "dist" / "server-1.0.tar.gz.sigstore.json"
    )
    (target / "dist" / "other-1.0-py3-none-any.whl").write_bytes(b"unsigned wheel")
    shutil.copytree(MODELS / "v1.1.0-sigstore", target / "models" / "signed")
    (target / "models" / "loose.safetensors").write_bytes(b"\x00" * 64)

    inv = _inventory(target)
    run = ProvenanceCollector().collect(inv)
    assert run.status == "ok", run.errors
    section = inv.sections["provenance"]
    by_path = {a["path"]: a for a in section["artifacts"]}
    assert by_path["dist/server-1.0.tar.gz"]["status"] == "verified"
    assert by_path["dist/server-1.0.tar.gz"]["release"] is True
    assert by_path["dist/other-1.0-py3-none-any.whl"]["status"] == "absent"
    assert by_path["models/loose.safetensors"]["status"] == "absent"
    kinds = {(v["kind"], v["status"]) for v in section["verifications"]}
    assert ("model-signing", "verified") in kinds
    assert ("model-signing", "absent") in kinds
    model_v = next(
        v for v in section["verifications"] if v["kind"] == "model-signing" and v["status"] == "verified"
    )
    assert model_v["signer"]["identity"] == "stefanb@us.ibm.com"
    assert model_v["files"] == ["models/signed", "models/signed/model.sig"]
    assert section["trust_root"]["label"].startswith("sigstore-production")


@needs_fixtures
def test_tampered_model_and_lockfile_mismatch_fail(tmp_path: Path) -> None:
    target = tmp_path / "server"
    shutil.copytree(MODELS / "v1.1.0-sigstore", target / "model")
    (target / "model" / "extra.bin").write_bytes(b"added")
    (target / "vendor").mkdir()
    wheel = target / "vendor" / "dep-1.0-py3-none-any.whl"
    wheel.write_bytes(b"the real wheel was replaced")
    inv = _inventory(target)
    dep = Component(
        ref="pkg:pypi/dep@1.0",
        name="dep",
        version="1.0",
        ecosystem="pypi",
        hashes=(Hash("sha256", "ab" * 32),),
        source=Source(kind="path", url="vendor/dep-1.0-py3-none-any.whl"),
        locations=(Location("uv.lock", 12),),
    )
    inv.components.append(dep)
    ProvenanceCollector().collect(inv)
    vs = inv.sections["provenance"]["verifications"]
    model = next(v for v in vs if v["kind"] == "model-signing")
    assert model["status"] == "failed" and model["details"]["extra"] == ["extra.bin"]
    lock = next(v for v in vs if v["kind"] == "lockfile-hash")
    assert lock["status"] == "failed" and lock["component"] == "pkg:pypi/dep@1.0"
    assert lock["files"] == ["vendor/dep-1.0-py3-none-any.whl", "uv.lock"]
    assert inv.annotations["pkg:pypi/dep@1.0"]["provenance"][0]["status"] == "failed"


def test_lockfile_artifact_matching_hash_verifies(tmp_path: Path) -> None:
    import hashlib

    target = tmp_path / "t"
    (target / "vendor").mkdir(parents=True)
    wheel = target / "vendor" / "dep-1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    inv = _inventory(target)
    inv.components.append(
        Component(
            ref="pkg:pypi/dep@1.0",
            name="dep",
            version="1.0",
            hashes=(Hash("sha256", hashlib.sha256(b"wheel bytes").hexdigest()),),
            source=Source(kind="path", url="vendor/dep-1.0-py3-none-any.whl"),
        )
    )
    ProvenanceCollector().collect(inv)
    [v] = inv.annotations["pkg:pypi/dep@1.0"]["provenance"]
    assert v["status"] == "verified" and v["kind"] == "lockfile-hash"


@needs_fixtures
def test_explicit_attestation_bound_through_lockfile_hash(tmp_path: Path) -> None:
    digest = dist_digests()["pypi_attestations-0.0.19.tar.gz"]["sha256"]
    target = tmp_path / "t"
    target.mkdir()
    inv = _inventory(
        target,
        options={"attestations": (str(PEP740 / "pypi_attestations-0.0.19.tar.gz.publish.attestation"),)},
    )
    inv.components.append(
        Component(
            ref="pkg:pypi/pypi-attestations@0.0.19",
            name="pypi-attestations",
            version="0.0.19",
            ecosystem="pypi",
            hashes=(Hash("sha256", str(digest)),),
        )
    )
    run = ProvenanceCollector().collect(inv)
    assert run.status == "ok"
    [v] = inv.sections["provenance"]["verifications"]
    assert v["status"] == "verified" and v["kind"] == "pep740"
    assert v["component"] == "pkg:pypi/pypi-attestations@0.0.19"
    assert inv.annotations["pkg:pypi/pypi-attestations@0.0.19"]["provenance"][0]["status"] == "verified"


@needs_fixtures
def test_declared_identities_copied_to_component(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.mkdir()
    ids = [{"identity": "https://github.com/encode/httpx/.github/workflows/publish.yml@refs/tags/0.28.1"}]
    cfg = GateConfig(policy_data={"provenance": {"trusted_identities": {"httpx": ids}}})
    inv = _inventory(target, config=cfg)
    inv.components.append(Component(ref="pkg:pypi/httpx@0.28.1", name="httpx", version="0.28.1"))
    ProvenanceCollector().collect(inv)
    assert inv.annotations["pkg:pypi/httpx@0.28.1"]["trusted_identities"] == ids


class _FakePyPI(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        status, body = self.routes.get(self.path, (404, b'{"message": "not found"}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def fake_pypi(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_FakePyPI]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakePyPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(pep740, "PYPI_URL", f"http://127.0.0.1:{server.server_address[1]}")
    _FakePyPI.routes = {}
    _FakePyPI.seen = []
    try:
        yield _FakePyPI
    finally:
        server.shutdown()
        server.server_close()


@needs_fixtures
def test_pep740_online_for_locked_versions_with_cache(tmp_path: Path, fake_pypi: type[_FakePyPI]) -> None:
    digest = str(dist_digests()["pypi_attestations-0.0.19.tar.gz"]["sha256"])
    fname = "pypi_attestations-0.0.19.tar.gz"
    fake_pypi.routes = {
        "/pypi/pypi-attestations/0.0.19/json": (
            200,
            json.dumps(
                {
                    "urls": [
                        {"filename": fname, "digests": {"sha256": digest}},
                        {
                            "filename": "pypi_attestations-0.0.19-py3-none-any.whl",
                            "digests": {"sha256": "cd" * 32},
                        },
                    ]
                }
            ).encode(),
        ),
        f"/integrity/pypi-attestations/0.0.19/{fname}/provenance": (
            200,
            (PEP740 / f"{fname}.provenance").read_bytes(),
        ),
    }
    target = tmp_path / "t"
    target.mkdir()
    pub = {"kind": "GitHub", "repository": "trailofbits/pypi-attestations", "workflow": "release.yml"}
    cfg = GateConfig(policy_data={"provenance": {"pep740_publishers": {"pypi-attestations": pub}}})
    comp = Component(
        ref="pkg:pypi/pypi-attestations@0.0.19",
        name="pypi-attestations",
        version="0.0.19",
        ecosystem="pypi",
        hashes=(Hash("sha256", digest),),
    )
    inv = _inventory(target, network=True, config=cfg)
    inv.components.append(comp)
    run = ProvenanceCollector().collect(inv)
    assert run.status == "ok", run.errors
    [v] = inv.annotations[comp.ref]["provenance"]
    assert v["status"] == "verified" and v["kind"] == "pep740"
    assert v["details"]["expected_publisher"]["repository"] == "trailofbits/pypi-attestations"
    # Only the locked file's provenance is fetched (the wheel's digest is not in the lockfile).
    assert not any("py3-none-any.whl" in p for p in fake_pypi.seen)
    # A second run answers from the cache.
    before = len(fake_pypi.seen)
    inv2 = _inventory(target, network=True, config=cfg)
    inv2.components.append(comp)
    ProvenanceCollector().collect(inv2)
    assert len(fake_pypi.seen) == before


def test_pypi_unreachable_is_incomplete_not_silent(tmp_path: Path, fake_pypi: type[_FakePyPI]) -> None:
    fake_pypi.routes = {"/pypi/x/1.0/json": (500, b"boom")}
    target = tmp_path / "t"
    target.mkdir()
    inv = _inventory(target, network=True)
    inv.components.append(
        Component(
            ref="pkg:pypi/x@1.0",
            name="x",
            version="1.0",
            ecosystem="pypi",
            hashes=(Hash("sha256", "ef" * 32),),
        )
    )
    run = ProvenanceCollector().collect(inv)
    assert run.status == "incomplete"
    assert "HTTP 500" in run.errors[0].message


def test_offline_never_fetches(tmp_path: Path, fake_pypi: type[_FakePyPI]) -> None:
    target = tmp_path / "t"
    target.mkdir()
    inv = _inventory(target)
    inv.components.append(
        Component(
            ref="pkg:pypi/x@1.0",
            name="x",
            version="1.0",
            ecosystem="pypi",
            hashes=(Hash("sha256", "ef" * 32),),
        )
    )
    assert ProvenanceCollector().collect(inv).status == "ok"
    assert fake_pypi.seen == []


def test_broken_sidecar_is_a_failed_verification(tmp_path: Path) -> None:
    target = tmp_path / "t"
    (target / "dist").mkdir(parents=True)
    (target / "dist" / "a-1.0.tar.gz").write_bytes(b"x")
    (target / "dist" / "a-1.0.tar.gz.sigstore.json").write_text("{not json")
    inv = _inventory(target)
    assert ProvenanceCollector().collect(inv).status == "ok"
    [v] = inv.sections["provenance"]["verifications"]
    assert v["status"] == "failed" and "invalid JSON" in v["reason"]


def test_sbom_properties_extension(tmp_path: Path) -> None:
    import hashlib

    from gate.sbom.extensions import provenance_properties as sbom_properties

    target = tmp_path / "t"
    (target / "vendor").mkdir(parents=True)
    (target / "vendor" / "dep-1.0-py3-none-any.whl").write_bytes(b"wheel")
    inv = _inventory(target)
    inv.components.append(
        Component(
            ref="pkg:pypi/dep@1.0",
            name="dep",
            version="1.0",
            hashes=(Hash("sha256", hashlib.sha256(b"wheel").hexdigest()),),
            source=Source(kind="path", url="vendor/dep-1.0-py3-none-any.whl"),
        )
    )
    ProvenanceCollector().collect(inv)
    assert sbom_properties in inv.sbom_extensions
    doc = {
        "components": [
            {"bom-ref": "pkg:pypi/dep@1.0", "name": "dep", "properties": [{"name": "x", "value": "y"}]}
        ]
    }
    sbom_properties(doc, inv)
    props = {p["name"]: p["value"] for p in doc["components"][0]["properties"]}
    assert props["gate:provenance:status"] == "verified"
    assert props["gate:provenance:kinds"] == "lockfile-hash"
    assert props["x"] == "y"


@pytest.mark.parametrize("url", ["vendor/dep-1.0.tgz", "file:vendor/dep-1.0.tgz", "FILE_ABS"])
def test_lockfile_named_artifact_url_forms(tmp_path: Path, url: str) -> None:
    import hashlib

    target = tmp_path / "t"
    (target / "vendor").mkdir(parents=True)
    f = target / "vendor" / "dep-1.0.tgz"
    f.write_bytes(b"tarball")
    if url == "FILE_ABS":
        url = f.resolve().as_uri()
    inv = _inventory(target)
    inv.components.append(
        Component(
            ref="pkg:npm/dep@1.0",
            name="dep",
            version="1.0",
            ecosystem="npm",
            hashes=(Hash("sha512", hashlib.sha512(b"tarball").hexdigest()),),
            source=Source(kind="path", url=url),
        )
    )
    ProvenanceCollector().collect(inv)
    [v] = inv.annotations["pkg:npm/dep@1.0"]["provenance"]
    assert v["status"] == "verified" and v["kind"] == "lockfile-hash"


def test_lockfile_path_outside_target_is_ignored(tmp_path: Path) -> None:
    outside = tmp_path / "outside.whl"
    outside.write_bytes(b"x")
    target = tmp_path / "t"
    target.mkdir()
    inv = _inventory(target)
    inv.components.append(
        Component(
            ref="pkg:pypi/o@1",
            name="o",
            version="1",
            hashes=(Hash("sha256", "00" * 32),),
            source=Source(kind="path", url="../outside.whl"),
        )
    )
    ProvenanceCollector().collect(inv)
    assert "pkg:pypi/o@1" not in inv.annotations


@needs_fixtures
def test_every_verification_matches_the_published_schema(tmp_path: Path) -> None:
    import jsonschema

    from gate.evidence.provenance.result import VERIFICATION_SCHEMA

    target = tmp_path / "server"
    (target / "dist").mkdir(parents=True)
    shutil.copyfile(GITHUB / "custom-issuer-artifact", target / "dist" / "s-1.0.tar.gz")
    shutil.copyfile(GITHUB / "custom-issuer.sigstore.json", target / "dist" / "s-1.0.tar.gz.sigstore.json")
    shutil.copyfile(GITHUB / "sigstore-js-2.1.0-bundle.json", target / "dist" / "s-1.0.tar.gz.sigstore")
    shutil.copytree(MODELS / "v1.0.1-elliptic-key", target / "models" / "ec")
    (target / "models" / "loose.gguf").write_bytes(b"GGUF")
    inv = _inventory(target)
    ProvenanceCollector().collect(inv)
    vs = inv.sections["provenance"]["verifications"]
    assert {v["status"] for v in vs} >= {"verified", "unsupported", "unverifiable", "absent"}
    for v in vs:
        jsonschema.validate(v, VERIFICATION_SCHEMA)


def test_broken_model_signature_is_failed_not_a_crash(tmp_path: Path) -> None:
    target = tmp_path / "t"
    (target / "model").mkdir(parents=True)
    (target / "model" / "weights.safetensors").write_bytes(b"w")
    (target / "model" / "model.sig").write_bytes(b"\x00\x01 not a signature")
    inv = _inventory(target)
    run = ProvenanceCollector().collect(inv)
    assert run.status == "ok"
    [v] = inv.sections["provenance"]["verifications"]
    assert v["kind"] == "model-signing" and v["status"] == "failed"
    assert v["files"] == ["model", "model/model.sig"]


def test_key_signed_model_folder_from_policy_data(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from model_signing import hashing, signing

    target = tmp_path / "t"
    model = target / "model"
    model.mkdir(parents=True)
    (target / "keys").mkdir()
    (model / "weights.safetensors").write_bytes(b"\x01" * 4096)
    (model / "config.json").write_text("{}")
    priv = ec.generate_private_key(ec.SECP256R1())
    key = tmp_path / "signing-key.pem"
    key.write_bytes(
        priv.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (target / "keys" / "model.pub").write_bytes(
        priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (
        signing.Config()
        .use_elliptic_key_signer(private_key=key)
        .set_hashing_config(hashing.Config().set_ignored_paths(paths=["model.sig"]))
        .sign(model, model / "model.sig")
    )
    cfg = GateConfig(policy_data={"provenance": {"model_public_key": "keys/model.pub"}})
    inv = _inventory(target, config=cfg)
    ProvenanceCollector().collect(inv)
    arts = {a["path"]: a for a in inv.sections["provenance"]["artifacts"]}
    assert arts["model/weights.safetensors"]["status"] == "verified"
    [v] = inv.sections["provenance"]["verifications"]
    assert v["method"] == "public-key" and v["status"] == "verified"

    (model / "weights.safetensors").write_bytes(b"\x02" * 4096)
    inv = _inventory(target, config=cfg)
    ProvenanceCollector().collect(inv)
    arts = {a["path"]: a for a in inv.sections["provenance"]["artifacts"]}
    assert arts["model/weights.safetensors"]["status"] == "failed"

    inv = _inventory(target)  # no key configured: the signature cannot be checked
    ProvenanceCollector().collect(inv)
    [v] = inv.sections["provenance"]["verifications"]
    assert v["status"] == "unverifiable"
