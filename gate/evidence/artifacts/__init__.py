"""Model file safety: model and data files recognised by content, their header metadata, and the pickle
scan of every pickle found inside them (by magic bytes and archive structure; never unpickled)."""

from gate.evidence.artifacts.formats import PICKLE_FORMATS, Artifact, analyse, sniff, to_json
from gate.evidence.artifacts.pickles import PickleScan

__all__ = ["PICKLE_FORMATS", "Artifact", "PickleScan", "analyse", "sniff", "to_json"]
