"""What the AI source analysers produce: references to models, datasets and hosted AI APIs, and the checks
that decide whether a string really names one (so that ``"str"``, variable names and prose never do)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from gate.record import Record

KNOWLEDGE_PATH = Path(__file__).with_name("knowledge.json")

# A Hugging Face repository id: ``org/name`` (the hub's own limits: 96 characters per part).
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")
# A legacy bare repository id (``gpt2``, ``bert-base-uncased``): letters, digits, ``-_.``, with a letter.
_BARE_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_.\-]{1,95}$")
# A hosted model name (``gpt-4o-mini``, ``voyage-3.5``, ``models/text-embedding-004``, ``llama3.2:3b``).
_API_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_.:\-/@]{1,99}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
MODEL_EXTENSIONS = (
    ".safetensors",
    ".gguf",
    ".onnx",
    ".pt",
    ".pth",
    ".bin",
    ".ckpt",
    ".pkl",
    ".pickle",
    ".joblib",
    ".npy",
    ".npz",
    ".h5",
    ".hdf5",
    ".keras",
    ".ggml",
    ".tflite",
    ".mlmodel",
    ".model",
    ".sav",
)
# Words that are never model names even when they reach a loader argument (types, placeholders, tasks).
_NOT_MODELS = frozenset(
    {
        "str",
        "string",
        "int",
        "float",
        "bool",
        "none",
        "null",
        "true",
        "false",
        "undefined",
        "any",
        "model",
        "models",
        "default",
        "auto",
        "cpu",
        "cuda",
        "mps",
        "text",
        "embedding",
        "embeddings",
        "name",
        "id",
        "feature-extraction",
        "text-generation",
        "text-classification",
        "sentiment-analysis",
        "summarization",
        "translation",
        "question-answering",
        "fill-mask",
        "token-classification",
        "zero-shot-classification",
        "image-classification",
        "automatic-speech-recognition",
        "object-detection",
        "text2text-generation",
        "sentence-similarity",
        "image-to-text",
        "conversational",
        "ner",
    }
)


@cache
def knowledge() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(KNOWLEDGE_PATH.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, repr=False)
class Origin(Record):
    """Where a value was defined (a literal, a default, a settings field) and what overrides it."""

    file: str
    line: int
    symbol: str | None = None
    env: str | None = None


@dataclass(frozen=True, repr=False)
class Reference(Record):
    """One use of a model, dataset or hosted AI API found in source or configuration."""

    kind: str  # model | embedding | dataset | api
    source: str  # hub | url | api | local
    value: str  # repository id, model name, URL or path as written
    file: str
    line: int
    api: str  # the loader or client call (``sentence_transformers.SentenceTransformer``)
    library: str | None = None
    provider: str | None = None
    revision: str | None = None
    env: str | None = None
    defined: Origin | None = None
    repo_type: str = "model"
    requested: str | None = None  # the name asked for when a library maps it to another repository
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def is_path_like(value: str) -> bool:
    v = value.strip()
    if v.startswith(("/", "./", "../", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", v):
        return True
    if v.lower().endswith(MODEL_EXTENSIONS):
        return True
    return v.count("/") >= 2


def is_hub_id(value: str, *, allow_bare: bool = True) -> bool:
    if value.lower() in _NOT_MODELS or is_path_like(value):
        return False
    if _HUB_ID.match(value):
        return True
    return allow_bare and bool(_BARE_ID.match(value)) and "." not in value[:1]


def is_api_model(value: str) -> bool:
    return value.lower() not in _NOT_MODELS and bool(_API_ID.match(value)) and not is_path_like(value)


def is_commit(revision: str | None) -> bool:
    return bool(revision and _COMMIT.match(revision))


def provider_for_model(value: str) -> str | None:
    """The hosted API a model name belongs to, from the name patterns in the knowledge table."""
    for name, p in knowledge()["providers"].items():
        for pat in p.get("patterns", []):
            if re.search(pat, value):
                return str(name)
    return None


def fastembed_repo(model: str) -> dict[str, Any] | None:
    entry = knowledge()["fastembed"].get(model)
    if entry is None:
        # fastembed matches names case-insensitively
        low = model.lower()
        for k, v in knowledge()["fastembed"].items():
            if k.lower() == low:
                return dict(v)
        return None
    return dict(entry)
