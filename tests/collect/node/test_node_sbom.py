"""The Node inventory through the whole pipeline: evidence document and a strictly valid CycloneDX 1.6 SBOM
with one component per package (merged across workspaces), production only by default."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from gate.collect import Settings
from gate.pipeline import build

ASSETS = Path(__file__).parent / "assets"


def test_workspace_monorepo_sbom(tmp_path: Path) -> None:
    shutil.copytree(ASSETS / "pnpm-ws-v9", tmp_path / "repo")
    (tmp_path / "repo" / ".mcp.json").write_text(
        '{"mcpServers": {"remote": {"command": "npx", "args": ["-y", "mcp-remote@latest"]}}}'
    )
    out = build(Settings(target=(tmp_path / "repo").resolve()))
    text = json.dumps(out.sbom)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    refs = [c["bom-ref"] for c in out.sbom.get("components", [])]
    assert len(refs) == len(set(refs))
    purls = {c.get("purl") for c in out.sbom["components"]}
    assert {"pkg:npm/core-js@3.37.1", "pkg:npm/is-number@7.0.0", "pkg:npm/mcp-remote"} <= purls
    assert "pkg:npm/is-odd@3.0.1" not in purls  # dev only
    doc = out.document
    node = [p for p in doc["projects"] if p["ecosystem"] == "npm"]
    assert {p["path"] for p in node} == {".", "packages/a", "packages/b"}
    core = next(c for c in doc["components"] if c["name"] == "core-js")
    assert len(core["projects"]) == 2 and core["locations"][0]["file"] == "pnpm-lock.yaml"
    launch = next(c for c in doc["components"] if c["name"] == "mcp-remote")
    assert launch["launch"]["pinned"] is False and launch["type"] == "application"
    runs = {r["name"]: r["status"] for r in doc["collectors"]}
    assert runs["node"] == "ok" and runs["launch"] == "ok"
