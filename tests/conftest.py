"""Shared test setup: no network, a private cache, paths to the shared fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = Path(os.environ.get("GATE_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures"))
ASSETS = Path(__file__).resolve().parent / "assets"

# Tests never write to the user's cache and never see a user's configuration.
os.environ.setdefault("GATE_CACHE_DIR", tempfile.mkdtemp(prefix="gate-test-cache-"))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("GATE_TEST_NETWORK") == "1":
        return
    skip = pytest.mark.skip(reason="needs the network (set GATE_TEST_NETWORK=1)")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


@pytest.fixture
def repo_root() -> Path:
    return REPO
