"""ML-BOM parts of the SBOM (validated strictly against CycloneDX 1.6), online hub resolution against a
loopback server, and unreadable inputs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.ai import AICollector
from gate.collect.ai.resolve import HubResolver

PROJECTS = Path(__file__).resolve().parent / "projects"
SHA = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf"


def _sbom(name: str, **options: object) -> tuple[Inventory, dict]:
    from gate.sbom import build_sbom, validate

    inv = Inventory(Settings(target=PROJECTS / name, options=options))
    AICollector().collect(inv)
    doc = build_sbom(inv)
    validate(doc)  # JsonStrictValidator(SchemaVersion.V1_6)
    return inv, doc


@pytest.mark.parametrize("name", ["py_loaders", "config_models", "py_apis"])
def test_sbom_with_model_cards_validates(name: str) -> None:
    _inv, doc = _sbom(name)
    comps = {c["bom-ref"]: c for c in doc["components"]}
    ml = [c for c in comps.values() if c["type"] == "machine-learning-model"]
    data = [c for c in comps.values() if c["type"] == "data"]
    assert ml and all("modelCard" in c for c in ml)
    assert all("data" in c for c in data)
    for c in ml:
        props = {p["name"]: p["value"] for p in c["modelCard"]["properties"]}
        assert props["gate:ai:source"] in {"hub", "api", "url", "local"}
        assert c["evidence"]["occurrences"]


def test_model_card_details() -> None:
    _inv, doc = _sbom("config_models")
    comps = {c["name"]: c for c in doc["components"]}
    gguf = comps["weights/tiny.gguf"]
    props = {p["name"]: p["value"] for p in gguf["modelCard"]["properties"]}
    assert gguf["modelCard"]["modelParameters"]["architectureFamily"] == "llama"
    assert props["gate:ai:quantization"] == "Q4_K_M"
    assert gguf["hashes"][0]["alg"] == "SHA-256"
    scifact = comps["mteb/scifact"]
    assert scifact["data"][0]["type"] == "dataset"
    assert scifact["data"][0]["contents"]["url"] == "https://huggingface.co/datasets/mteb/scifact"


class _Hub(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:
        _Hub.calls.append(self.path)
        if "/api/models/facebook/bart-large-cnn/revision/main" in self.path:
            body = {
                "sha": SHA,
                "cardData": {"license": "mit"},
                "siblings": [
                    {"rfilename": "config.json"},
                    {"rfilename": "model.safetensors", "lfs": {"sha256": "ab" * 32, "size": 1625270765}},
                ],
            }
            data = json.dumps(body).encode()
            self.send_response(200)
        else:
            data = b'{"error": "Repository not found"}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path / "cache"))
    _Hub.calls = []
    yield url
    server.shutdown()


def test_resolver_reads_commit_and_weight_digests(hub: str, tmp_path: Path) -> None:
    r = HubResolver(cache=tmp_path / "c")
    got = r.resolve("facebook/bart-large-cnn")
    assert got == {
        "sha": SHA,
        "license": "mit",
        "files": [{"name": "model.safetensors", "sha256": "ab" * 32, "size": 1625270765}],
    }
    assert r.resolve("facebook/bart-large-cnn") == got
    assert len(_Hub.calls) == 1  # answered from the cache the second time
    assert r.resolve("acme/missing") is None
    assert r.errors == ["acme/missing@main: hub answered HTTP 404"]


def test_resolve_models_option_updates_components(hub: str) -> None:
    inv, _doc = _sbom("py_loaders", resolve_models=True)
    c = inv.component(f"pkg:huggingface/facebook/bart-large-cnn@{SHA}")
    assert c is not None
    assert c.version == SHA and not c.pinned  # resolved, but the code still does not pin it
    assert c.extra["ai"]["resolved_revision"] == SHA
    assert [h.value for h in c.hashes] == ["ab" * 32]
    assert c.licenses == ("MIT",)
    run_errors = [
        e
        for e in AICollector()
        .collect(Inventory(Settings(target=PROJECTS / "py_loaders", options={"resolve_models": True})))
        .errors
    ]
    assert any("HTTP 404" in e.message for e in run_errors)  # the other repositories: unknown to the fake hub


def test_no_network_without_the_option(hub: str) -> None:
    inv = Inventory(Settings(target=PROJECTS / "py_loaders"))
    AICollector().collect(inv)
    assert _Hub.calls == []


def test_unparseable_inputs_are_named_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("from transformers import pipeline\ndef f(:\n")
    (tmp_path / "bad.yaml").write_text("model: [unclosed\n")
    (tmp_path / "deep.json").write_text("[" * 5000 + "]" * 5000)
    (tmp_path / "ok.py").write_text(
        "from sentence_transformers import SentenceTransformer\nSentenceTransformer('BAAI/bge-small-en-v1.5')\n"
    )
    inv = Inventory(Settings(target=tmp_path))
    run = AICollector().collect(inv)
    assert run.status == "incomplete"
    files = {e.file for e in run.errors}
    assert files == {"broken.py", "bad.yaml", "deep.json"}
    assert [c.name for c in inv.components] == ["BAAI/bge-small-en-v1.5"]


def test_hostile_source_is_bounded(tmp_path: Path) -> None:
    # every function is called from 60 places: resolving f0's parameter fans out 60^7 ways
    lines = [
        "from sentence_transformers import SentenceTransformer",
        "",
        "def f0(m):",
        "    return SentenceTransformer(m)",
    ]
    for i in range(1, 8):
        lines.append(f"def f{i}(m):")
        lines += [f"    f{i - 1}(m if {j} else 'org/m{i}-{j}')" for j in range(60)]
    lines += ["A = A", "B = C", "C = B", "SentenceTransformer(B)"]
    (tmp_path / "fanout.py").write_text("\n".join(lines) + "\n")
    (tmp_path / "deep.py").write_text("import torch\nx = " + " + ".join(["'a'"] * 5000) + "\n")
    inv = Inventory(Settings(target=tmp_path))
    run = AICollector().collect(inv)
    assert run.status == "incomplete"
    messages = {(e.file, e.message.split(":")[0]) for e in run.errors}
    assert (
        "fanout.py",
        "value resolution stopped at its step limit (call-site fan-out); candidates may be missing",
    ) in messages
    assert any(e.file == "deep.py" and "cannot parse Python" in e.message for e in run.errors)
    assert 0 < len(inv.components) <= 64
