"""Streaming, parallel, cached file hashing.

Files are read in chunks (never whole), hashed in a thread pool (hashlib releases the GIL on large
updates), and the digests are cached on disk keyed on (path, size, mtime_ns, inode) so an unchanged file
is not read again. The cache lives in ``$GATE_CACHE_DIR`` (default ``~/.cache/gate``) as ``hashes.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 1024 * 1024


def cache_dir() -> Path:
    base = os.environ.get("GATE_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gate"


def _key(path: Path, st: os.stat_result, alg: str) -> str:
    return f"{alg}:{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def hash_file(path: Path, alg: str = "sha256") -> str:
    h = hashlib.new(alg)
    with path.open("rb", buffering=0) as fh:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


class HashCache:
    """A small JSON cache of digests. Thread-safe; written atomically on :meth:`save`."""

    def __init__(self, path: Path | None = None, enabled: bool = True) -> None:
        self.path = path or cache_dir() / "hashes.json"
        self.enabled = enabled and os.environ.get("GATE_NO_HASH_CACHE") != "1"
        self._lock = threading.Lock()
        self._data: dict[str, str] = {}
        self._dirty = False
        if self.enabled:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(raw, dict):
                    self._data = {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}
            except (OSError, ValueError):
                self._data = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._dirty = True

    def save(self) -> None:
        if not (self.enabled and self._dirty):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self._data, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:
            pass


def hash_files(
    paths: Iterable[Path], alg: str = "sha256", *, cache: HashCache | None = None, workers: int | None = None
) -> dict[Path, str]:
    """Digest every file in ``paths`` (hex), in parallel, answering unchanged files from the cache."""
    cache = cache if cache is not None else HashCache()
    todo: list[tuple[Path, str]] = []
    out: dict[Path, str] = {}
    for p in paths:
        p = Path(p)
        st = p.stat()
        key = _key(p.resolve(), st, alg)
        hit = cache.get(key)
        if hit is not None:
            out[p] = hit
        else:
            todo.append((p, key))
    if todo:
        n = workers or min(len(todo), max(2, (os.cpu_count() or 2)))
        with ThreadPoolExecutor(max_workers=n) as pool:
            for (p, key), digest in zip(
                todo, pool.map(lambda item: hash_file(item[0], alg), todo), strict=True
            ):
                out[p] = digest
                cache.put(key, digest)
        cache.save()
    return out
