"""The CycloneDX 1.6 SBOM: :mod:`gate.sbom.writer` builds it with cyclonedx-python-lib; collectors register
the parts the library does not model (:mod:`gate.sbom.mlbom`, :mod:`gate.sbom.vulnerabilities`).

The writer is loaded on first use: importing cyclonedx-python-lib costs about 0.1 s, which a collector that
only registers an extension must not pay, and which ``gate check`` pays while the policy engine runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.sbom.writer import SbomError, build_bom, build_sbom, finalize, validate

__all__ = ["SbomError", "build_bom", "build_sbom", "finalize", "validate"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from gate.sbom import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
