"""The signature status of AI components, copied from provenance annotations into input.ai."""

from __future__ import annotations

from pathlib import Path

from gate.collect import Inventory, Settings
from gate.evidence.artifacts import ModelSignatureCollector


def _inventory(tmp_path: Path) -> Inventory:
    inv = Inventory(Settings(target=tmp_path))
    inv.sections["ai"] = [
        {"id": "gate:signed", "signature": None},
        {"id": "gate:tampered", "signature": None},
        {"id": "gate:hash-only", "signature": None},
        {"id": "gate:none", "signature": None},
    ]
    inv.annotate("gate:signed", "provenance", [{"kind": "model-signing", "status": "verified"}])
    inv.annotate(
        "gate:tampered",
        "provenance",
        [
            {"kind": "model-signing", "status": "verified"},
            {"kind": "model-signing", "status": "failed"},
        ],
    )
    inv.annotate("gate:hash-only", "provenance", [{"kind": "lockfile-hash", "status": "verified"}])
    return inv


def test_signature_status_copied(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)
    run = ModelSignatureCollector().collect(inv)
    assert run.status == "ok" and run.stats == {"signed_components": 2}
    by_id = {e["id"]: e["signature"] for e in inv.sections["ai"]}
    assert by_id["gate:signed"] == {"status": "verified", "kinds": ["model-signing"]}
    assert by_id["gate:tampered"]["status"] == "failed"  # any failure wins
    assert by_id["gate:hash-only"] is None
    assert by_id["gate:none"] is None


def test_skipped_without_ai_section(tmp_path: Path) -> None:
    run = ModelSignatureCollector().collect(Inventory(Settings(target=tmp_path)))
    assert run.status == "skipped"
