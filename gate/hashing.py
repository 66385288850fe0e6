"""Streaming, parallel, cached file hashing.

Files are read in fixed-size chunks into one reused buffer (never whole), hashed in a thread pool
(hashlib releases the GIL while it digests a chunk, so threads hash files on every core), and the
digests are cached on disk keyed on (algorithm, real path, size, mtime_ns, inode): an unchanged file is
not read again. Several algorithms can be computed in one read (``hash_files_multi``: sha256 for
Sigstore/PyPI, sha512 for npm integrity). The cache lives in ``$GATE_CACHE_DIR`` (default
``~/.cache/gate``) as ``hashes.json``; ``GATE_NO_HASH_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# 1 MiB chunks: large enough that the per-call overhead vanishes, small enough to stay in L2/L3 cache.
CHUNK = 1024 * 1024
# The cache keeps at most this many entries (oldest dropped first) so it cannot grow without bound.
MAX_CACHE_ENTRIES = 200_000


def cache_dir() -> Path:
    """``$GATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/gate``, else ``~/.cache/gate``: every cache of the gate."""
    base = os.environ.get("GATE_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gate"


def write_json_atomic(path: Path, value: Any, **dumps: Any) -> bool:
    """Write ``value`` as JSON through a temporary file and a rename, so that no reader (another gate
    running at the same time) sees half a file. False when it cannot be written: a cache only saves time."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(value, **dumps), encoding="utf-8")
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False


def _key(path: Path, st: os.stat_result, alg: str) -> str:
    return f"{alg}:{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def _digest_stream(path: Path, algs: Sequence[str]) -> dict[str, str]:
    hashers = [hashlib.new(a) for a in algs]
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        if hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as fh:
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                chunk = view[:n]
                for h in hashers:
                    h.update(chunk)
    finally:
        os.close(fd)
    return {a: h.hexdigest() for a, h in zip(algs, hashers, strict=True)}


def hash_file(path: Path, alg: str = "sha256") -> str:
    """The hex digest of one file, streamed."""
    return _digest_stream(Path(path), (alg,))[alg]


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
            if self._data.get(key) != value:
                self._data.pop(key, None)
                self._data[key] = value
                self._dirty = True

    def save(self) -> None:
        if not (self.enabled and self._dirty):
            return
        with self._lock:
            if len(self._data) > MAX_CACHE_ENTRIES:
                keep = list(self._data.items())[-MAX_CACHE_ENTRIES:]
                self._data = dict(keep)
            data = dict(self._data)
        if write_json_atomic(self.path, data, separators=(",", ":")):
            self._dirty = False


_default_cache: HashCache | None = None
_default_lock = threading.Lock()


def default_cache() -> HashCache:
    """One process-wide cache (loaded once), so repeated calls do not re-read the cache file."""
    global _default_cache
    with _default_lock:
        wanted = cache_dir() / "hashes.json"
        if _default_cache is None or _default_cache.path != wanted:
            _default_cache = HashCache(wanted)
        return _default_cache


def _workers(n_todo: int, workers: int | None) -> int:
    return max(1, min(n_todo, workers or (os.cpu_count() or 2)))


def hash_files_multi(
    paths: Iterable[Path],
    algs: Sequence[str] = ("sha256",),
    *,
    cache: HashCache | None = None,
    workers: int | None = None,
) -> dict[Path, dict[str, str]]:
    """Digest every file in ``paths`` with every algorithm in ``algs`` (one read per file), in parallel,
    answering unchanged files from the cache. Keys of the result are the paths as given."""
    algs = tuple(dict.fromkeys(a.lower() for a in algs))
    cache = cache if cache is not None else default_cache()
    out: dict[Path, dict[str, str]] = {}
    todo: list[tuple[Path, dict[str, str]]] = []
    for p in paths:
        p = Path(p)
        st = os.stat(p)
        real = Path(os.path.realpath(p))
        keys = {a: _key(real, st, a) for a in algs}
        hits = {a: cache.get(k) for a, k in keys.items()}
        if all(hits.values()):
            out[p] = {a: v for a, v in hits.items() if v}
        else:
            todo.append((p, keys))
    if todo:
        n = _workers(len(todo), workers)
        if n == 1:
            results = [_digest_stream(p, algs) for p, _ in todo]
        else:
            # imported here: most importers want cache_dir or one file's digest, not a thread pool
            from concurrent.futures import ThreadPoolExecutor

            # Largest files first so that one big file does not start last and serialise the tail.
            order = sorted(range(len(todo)), key=lambda i: -os.stat(todo[i][0]).st_size)
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="gate-hash") as pool:
                futures = {i: pool.submit(_digest_stream, todo[i][0], algs) for i in order}
                results = [futures[i].result() for i in range(len(todo))]
        for (p, keys), digests in zip(todo, results, strict=True):
            out[p] = digests
            for a, k in keys.items():
                cache.put(k, digests[a])
        cache.save()
    return out


def hash_files(
    paths: Iterable[Path], alg: str = "sha256", *, cache: HashCache | None = None, workers: int | None = None
) -> dict[Path, str]:
    """Digest every file in ``paths`` (hex), in parallel, answering unchanged files from the cache."""
    return {
        p: d[alg.lower()] for p, d in hash_files_multi(paths, (alg,), cache=cache, workers=workers).items()
    }
