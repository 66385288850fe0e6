"""Provenance and signatures: Sigstore bundles, PEP 740, SLSA provenance and GitHub artifact attestations,
OpenSSF model signing, lockfile and artifact integrity, and verification summary attestations (VSA).

Every check yields one :class:`~gate.evidence.provenance.result.Verification`. The evidence collector is
:class:`ProvenanceCollector`. Both are imported lazily: ``gate verify`` does not load the collector, and a
project with nothing to verify does not load the result model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.evidence.provenance.result import Verification

__all__ = ["ProvenanceCollector", "Verification"]


def __getattr__(name: str) -> Any:
    if name == "ProvenanceCollector":
        from gate.evidence.provenance.collector import ProvenanceCollector

        return ProvenanceCollector
    if name == "Verification":
        from gate.evidence.provenance.result import Verification

        return Verification
    raise AttributeError(name)
