"""Shared paths and helpers for the provenance tests (fixtures are read in place, never modified)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures")
CONFORMANCE = FIXTURES / "sigstore" / "conformance"
GITHUB = FIXTURES / "sigstore" / "github"
PEP740 = FIXTURES / "pep740"
MODELS = FIXTURES / "model-signing"
MODEL_IDENTITY = "stefanb@us.ibm.com"
MODEL_ISSUER = "https://sigstore.verify.ibm.com/oauth2"

needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")


def staging_root_path() -> Path:
    import sigstore

    base = Path(sigstore.__file__).parent / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"
    return base / "trusted_root.json"


def dist_digests() -> dict[str, dict[str, object]]:
    return json.loads((PEP740 / "distribution-digests.json").read_text())


def github_digests() -> dict[str, dict[str, object]]:
    return json.loads((GITHUB / "artifact-digests.json").read_text())
