"""``--resolve-models``: resolve Hugging Face Hub references to the commit they name today and the sha256 of
their weight files, from the hub's file metadata API (``/api/models/{repo}/revision/{rev}?blobs=true``),
without downloading any weights. Online only with the option; answers are cached on disk
(``$GATE_CACHE_DIR/huggingface``; a commit-pinned answer forever, a branch or tag for a day). The endpoint
follows ``HF_ENDPOINT`` (tests point it at a loopback server).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gate.collect.ai.refs import is_commit
from gate.hashing import cache_dir, write_json_atomic

WEIGHT_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".gguf",
    ".onnx",
    ".pt",
    ".pth",
    ".h5",
    ".ckpt",
    ".pkl",
    ".msgpack",
    ".joblib",
    ".npz",
    ".parquet",
    ".arrow",
    ".keras",
    ".tflite",
)
BRANCH_TTL = 24 * 3600
MAX_RESPONSE = 32 * 1024 * 1024


class HubResolver:
    def __init__(self, endpoint: str | None = None, cache: Path | None = None, timeout: float = 20.0) -> None:
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")
        self.cache = cache or cache_dir() / "huggingface"
        self.timeout = timeout
        self.errors: list[str] = []
        self.fetched = 0

    def url(self, repo: str, repo_type: str, revision: str | None) -> str:
        kind = "datasets" if repo_type == "dataset" else "models"
        rev = quote(revision or "main", safe="")
        return f"{self.endpoint}/api/{kind}/{repo}/revision/{rev}?blobs=true"

    def resolve(
        self, repo: str, repo_type: str = "model", revision: str | None = None
    ) -> dict[str, Any] | None:
        url = self.url(repo, repo_type, revision)
        key = hashlib.sha256(url.encode()).hexdigest()
        path = self.cache / f"{key}.json"
        try:
            st = path.stat()
            if is_commit(revision) or time.time() - st.st_mtime < BRANCH_TTL:
                cached = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(cached, dict):
                    return cached
        except (OSError, ValueError):
            pass
        import requests

        try:
            resp = requests.get(
                url, timeout=self.timeout, headers={"Accept": "application/json"}, stream=True
            )
            body = resp.raw.read(MAX_RESPONSE + 1, decode_content=True)
        except requests.RequestException as e:
            self.errors.append(f"{repo}: hub metadata unreachable: {type(e).__name__}")
            return None
        if resp.status_code != 200:
            self.errors.append(f"{repo}@{revision or 'main'}: hub answered HTTP {resp.status_code}")
            return None
        if len(body) > MAX_RESPONSE:
            self.errors.append(f"{repo}: hub metadata response too large")
            return None
        try:
            data = json.loads(body)
        except ValueError:
            self.errors.append(f"{repo}: hub metadata is not JSON")
            return None
        result = summarise(data)
        if result is None:
            self.errors.append(f"{repo}: hub metadata has no commit sha")
            return None
        self.fetched += 1
        write_json_atomic(path, result, sort_keys=True)
        return result


def summarise(data: Any) -> dict[str, Any] | None:
    """The commit sha, weight files with their sha256 (from LFS pointers) and the card's licence."""
    if not isinstance(data, dict) or not is_commit(str(data.get("sha", ""))):
        return None
    files = []
    for s in data.get("siblings") or []:
        if not isinstance(s, dict):
            continue
        name = str(s.get("rfilename", ""))
        lfs = s.get("lfs") if isinstance(s.get("lfs"), dict) else None
        if not name.lower().endswith(WEIGHT_SUFFIXES):
            continue
        entry: dict[str, Any] = {"name": name}
        if lfs and isinstance(lfs.get("sha256"), str):
            entry["sha256"] = lfs["sha256"]
            entry["size"] = lfs.get("size")
        files.append(entry)
    card = data.get("cardData") if isinstance(data.get("cardData"), dict) else {}
    lic = card.get("license") if card else None
    if isinstance(lic, list):
        lic = lic[0] if lic else None
    return {
        "sha": data["sha"],
        "files": sorted(files, key=lambda f: f["name"]),
        "license": lic if isinstance(lic, str) else None,
    }
