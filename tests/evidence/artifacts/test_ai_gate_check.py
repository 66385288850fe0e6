"""End to end: `gate check` blocks a model file whose pickle runs code, naming the rule, the file and
the line that loads it; the SBOM carries the model with its hash and modelCard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ai_modelgen as gen


def test_gate_check_blocks_dangerous_pickle(tmp_path: Path) -> None:
    target = tmp_path / "server"
    (target / "models").mkdir(parents=True)
    gen.torch_zip(target / "models" / "evil.pt", gen.EVIL_PICKLE)
    (target / "app.py").write_text('import torch\n\nmodel = torch.load("models/evil.pt")\n')
    report, sbom = tmp_path / "report.json", tmp_path / "sbom.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "check",
            str(target),
            "--format",
            "json",
            "-o",
            str(report),
            "--sbom-output",
            str(sbom),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "GATE_NO_HASH_CACHE": "1"},
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    results = json.loads(report.read_text())["results"]
    hit = next(r for r in results if r["code"] == "ai.pickle_dangerous" and r["kind"] == "deny")
    assert hit["location"]["file"] == "models/evil.pt"
    assert "posix.system" in hit["msg"]
    doc = json.loads(sbom.read_text())
    model = next(c for c in doc["components"] if c["name"] == "models/evil.pt")
    assert model["type"] == "machine-learning-model" and model["hashes"][0]["alg"] == "SHA-256"
    props = {p["name"]: p["value"] for p in model["modelCard"]["properties"]}
    assert props["gate:ai:pickle-scan"] == "dangerous"
    assert {"location": "app.py", "line": 3, "symbol": "torch.load"} in model["evidence"]["occurrences"]
