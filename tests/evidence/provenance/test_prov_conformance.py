"""The Sigstore conformance bundle-verification suite: no `_fail` case verifies, no good case fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from prov_testlib import CONFORMANCE, needs_fixtures

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from bench_conformance import expected_ok, run_case

CASES = sorted(p.name for p in CONFORMANCE.iterdir() if p.is_dir()) if CONFORMANCE.is_dir() else []


@needs_fixtures
def test_all_seventy_cases_present() -> None:
    assert len(CASES) == 70


@needs_fixtures
@pytest.mark.parametrize("case", CASES)
def test_conformance_case(case: str) -> None:
    v = run_case(CONFORMANCE / case)
    assert expected_ok(case, v.status), f"{case}: {v.status}: {v.reason}"
    assert v.reason
    if case.endswith("_fail"):
        assert v.status != "verified"
    if v.status == "unsupported":
        assert "intoto" in v.reason or "public-key" in v.reason


@needs_fixtures
def test_good_cases_mostly_verify() -> None:
    verified = [
        c for c in CASES if not c.endswith("_fail") and run_case(CONFORMANCE / c).status == "verified"
    ]
    # Only the intoto and managed-key happy paths are unsupported.
    assert len(verified) == 18
