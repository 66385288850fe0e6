"""Model file safety: model and data files recognised by content, their header metadata, and the pickle
scan of every pickle found inside them (by magic bytes and archive structure; never unpickled).

The readers (:mod:`.formats`) are imported on first use, so that :class:`ModelSignatureCollector` does not
load them; :func:`sniff` itself is light (it runs on every file that is not known text), and the scanners
(:mod:`.pickles` and picklescan, :mod:`zipfile`, the decompressors) are loaded only by the readers of the
archives and pickles that need them, so that a project without model files does not load them."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gate.evidence.artifacts.formats import PICKLE_FORMATS, Artifact, analyse, sniff, to_json
    from gate.evidence.artifacts.pickles import PickleScan

__all__ = [
    "PICKLE_FORMATS",
    "Artifact",
    "ModelSignatureCollector",
    "PickleScan",
    "analyse",
    "sniff",
    "to_json",
]

_FROM_FORMATS = frozenset({"PICKLE_FORMATS", "Artifact", "analyse", "sniff", "to_json"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FORMATS:
        from gate.evidence.artifacts import formats

        return getattr(formats, name)
    if name == "PickleScan":
        from gate.evidence.artifacts.pickles import PickleScan

        return PickleScan
    raise AttributeError(name)


NOT_SIGNATURES = frozenset({"lockfile-hash"})


class ModelSignatureCollector:
    """Copies the signature status that provenance verification found for each AI component (the
    ``provenance`` annotation) into the flat ``input.ai`` view. Runs after the provenance collector;
    without it (or without a verification) the status stays ``null``."""

    name = "ai-signatures"

    def collect(self, inventory: Any) -> Any:
        from gate.model import CollectorRun

        section = inventory.sections.get("ai")
        if not isinstance(section, list):
            return CollectorRun(name=self.name, status="skipped", reason="no AI components")
        filled = 0
        for entry in section:
            items = inventory.annotations.get(entry.get("id", ""), {}).get("provenance")
            if not isinstance(items, list):
                continue
            # a digest compared with a lockfile (or with our own hash of the file) is no signature
            items = [i for i in items if isinstance(i, dict) and i.get("kind") not in NOT_SIGNATURES]
            if not items:
                continue
            statuses = [str(i.get("status")) for i in items if isinstance(i, dict)]
            for status in ("failed", "verified", "unverifiable", "unsupported", "absent"):
                if status in statuses:
                    break
            else:
                status = statuses[0] if statuses else "unknown"
            entry["signature"] = {
                "status": status,
                "kinds": sorted({str(i.get("kind")) for i in items if isinstance(i, dict)}),
            }
            filled += 1
        return CollectorRun(name=self.name, status="ok", stats={"signed_components": filled})
