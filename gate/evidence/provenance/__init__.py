"""Provenance and signatures: Sigstore bundles, PEP 740, SLSA provenance and GitHub artifact attestations,
OpenSSF model signing, lockfile and artifact integrity, and verification summary attestations (VSA).

Every check yields one :class:`~gate.evidence.provenance.result.Verification`. The evidence collector is
:class:`ProvenanceCollector` (imported lazily, so that ``gate verify`` does not load the collector).
"""

from __future__ import annotations

from typing import Any

from gate.evidence.provenance.result import Verification

__all__ = ["ProvenanceCollector", "Verification"]


def __getattr__(name: str) -> Any:
    if name == "ProvenanceCollector":
        from gate.evidence.provenance.collector import ProvenanceCollector

        return ProvenanceCollector
    raise AttributeError(name)
