"""The labelled AI test projects: every labelled component, nothing else, with its attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.ai import AICollector

PROJECTS = Path(__file__).resolve().parent / "projects"
LABELS = sorted(PROJECTS.glob("*.expected.json"))


def _run(name: str, include_tests: bool = False) -> Inventory:
    inv = Inventory(Settings(target=PROJECTS / name, include_tests=include_tests))
    run = AICollector().collect(inv)
    assert run.status == "ok", run.errors
    return inv


@pytest.mark.parametrize("label_path", LABELS, ids=lambda p: p.name.removesuffix(".expected.json"))
def test_labelled_project(label_path: Path) -> None:
    label = json.loads(label_path.read_text())
    inv = _run(label_path.name.removesuffix(".expected.json"))
    got = {c.name: c for c in inv.components}
    must = {m["name"]: m for m in label["must"]}
    assert sorted(got) == sorted(must)
    for name, m in must.items():
        c = got[name]
        ai = c.extra["ai"]
        assert c.type == m["type"], name
        assert ai["kind"] == m["kind"], name
        assert ai["source"] == m["source"], name
        if "env_override" in m:
            assert m["env_override"] in ai["env_overrides"], name
        if "revision" in m:
            assert c.version == m["revision"] and ai["revision"] == m["revision"], name
            full_commit = len(m["revision"]) == 40
            assert ai["pinned_revision"] == (m["revision"] if full_commit else None), name
            assert c.pinned is full_commit, name
        if "provider" in m:
            assert ai["provider"] == m["provider"], name
        assert c.locations, f"{name} has no location"
    for bad in label["must_not"] + label.get("tests_only", []):
        assert bad not in got
    assert sorted(s.provider or "" for s in inv.services) == sorted(label.get("services", []))


@pytest.mark.parametrize(
    "label_path",
    [p for p in LABELS if json.loads(p.read_text()).get("tests_only")],
    ids=lambda p: p.name.removesuffix(".expected.json"),
)
def test_include_tests_adds_test_only_references(label_path: Path) -> None:
    label = json.loads(label_path.read_text())
    inv = _run(label_path.name.removesuffix(".expected.json"), include_tests=True)
    names = {c.name for c in inv.components}
    assert set(label["tests_only"]) <= names


def test_hub_components_carry_purls_and_evidence() -> None:
    inv = _run("py_loaders")
    c = inv.component(
        "pkg:huggingface/distilbert/distilbert-base-uncased-finetuned-sst-2-english@"
        "714eb0fa89d2f80546fda750413ed43d93601a13"
    )
    assert c is not None and c.pinned
    files = {(loc.file, loc.line) for loc in c.locations}
    assert ("app/hf.py", 22) in files and ("app/hf.py", 9) in files
    unpinned = inv.component("pkg:huggingface/facebook/bart-large-cnn")
    assert unpinned is not None and not unpinned.pinned
    dataset = next(c for c in inv.components if c.name == "rajpurkar/squad")
    assert dataset.type == "data" and dataset.purl is None
    assert dataset.source.url == "https://huggingface.co/datasets/rajpurkar/squad"


def test_fastembed_alias_and_settings_env() -> None:
    inv = _run("py_settings")
    c = inv.component("pkg:huggingface/Qdrant/all-MiniLM-L6-v2-onnx")
    assert c is not None
    ai = c.extra["ai"]
    assert ai["requested"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert ai["env_override"] == "EMBEDDING_MODEL"
    assert {loc.symbol for loc in c.locations} >= {"EmbeddingSettings.model_name", "fastembed.TextEmbedding"}
    assert c.licenses == ("Apache-2.0",)


def test_ai_section_is_flat_and_complete() -> None:
    inv = _run("py_loaders")
    section = inv.sections["ai"]
    keys = {
        "id",
        "kind",
        "source",
        "pinned",
        "pinned_revision",
        "env_override",
        "format",
        "hashes",
        "signature",
        "pickle_scan",
        "locations",
    }
    for entry in section:
        assert keys <= set(entry), entry
        assert entry["signature"] is None
    head = next(e for e in section if e["name"] == "models/head.pt")
    assert head["format"] == "pytorch" and head["pickle_based"]
    assert head["pickle_scan"]["status"] == "clean"
    assert list(head["hashes"]) == ["sha256"] and len(head["hashes"]["sha256"][0]) == 64
    assert {"file": "app/local.py", "line": 14, "symbol": "torch.load"} in head["locations"]
    joblib = next(e for e in section if e["name"] == "models/classifier.joblib")
    assert joblib["pickle_scan"]["suspicious"] == ["sklearn.linear_model._logistic.LogisticRegression"]


def test_services_for_hosted_apis() -> None:
    inv = _run("py_apis")
    openai = next(s for s in inv.services if s.provider == "openai")
    assert openai.kind == "ai-api" and openai.authenticated is True
    assert openai.endpoints == ("https://api.openai.com/v1",)
    assert openai.projects == ()  # no Python project collector ran in this unit test
    ollama = next(s for s in inv.services if s.provider == "ollama")
    assert ollama.authenticated is False
    assert any(e["kind"] == "api" and e["provider"] == "openai" for e in inv.sections["ai"])


@pytest.mark.parametrize("name", ["py_loaders", "ts_server", "config_models"])
def test_deterministic_and_relative(name: str) -> None:
    first, second = _run(name), _run(name)
    a = json.dumps(
        {"ai": first.sections["ai"], "runs": [c.to_json() for c in first.components]}, sort_keys=True
    )
    b = json.dumps(
        {"ai": second.sections["ai"], "runs": [c.to_json() for c in second.components]}, sort_keys=True
    )
    assert a == b
    assert str(PROJECTS) not in a  # paths in evidence are relative to the target
