"""gate.hashing: streamed digests equal hashlib's, several algorithms in one read, the stat-keyed cache."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import gate.hashing as hashing
from gate.hashing import HashCache, hash_file, hash_files, hash_files_multi


def _files(tmp_path: Path) -> list[Path]:
    out = []
    for i, size in enumerate([0, 1, hashing.CHUNK - 1, hashing.CHUNK, hashing.CHUNK * 2 + 17]):
        p = tmp_path / f"f{i}.bin"
        p.write_bytes(os.urandom(size))
        out.append(p)
    return out


def test_digests_match_hashlib(tmp_path: Path) -> None:
    files = _files(tmp_path)
    got = hash_files_multi(files, ("sha256", "sha512"), cache=HashCache(tmp_path / "c.json", enabled=False))
    for p in files:
        data = p.read_bytes()
        assert got[p] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "sha512": hashlib.sha512(data).hexdigest(),
        }
        assert hash_file(p) == hashlib.sha256(data).hexdigest()


def test_cache_answers_unchanged_files_and_rehashes_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path)
    cache_path = tmp_path / "cache" / "hashes.json"
    first = hash_files(files, cache=HashCache(cache_path))
    assert cache_path.is_file()

    def boom(*_: object) -> dict[str, str]:
        raise AssertionError("read a file that the cache should have answered")

    monkeypatch.setattr(hashing, "_digest_stream", boom)
    assert hash_files(files, cache=HashCache(cache_path)) == first
    monkeypatch.undo()

    files[1].write_bytes(b"changed!")
    os.utime(files[1], ns=(1, 1))
    again = hash_files(files, cache=HashCache(cache_path))
    assert again[files[1]] == hashlib.sha256(b"changed!").hexdigest()


def test_cache_disabled_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_NO_HASH_CACHE", "1")
    cache = HashCache(tmp_path / "h.json")
    hash_files(_files(tmp_path)[:2], cache=cache)
    assert not (tmp_path / "h.json").exists()


def test_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    cache_path = tmp_path / "hashes.json"
    cache_path.write_text("{broken")
    [f] = _files(tmp_path)[1:2]
    assert hash_files([f], cache=HashCache(cache_path))[f] == hashlib.sha256(f.read_bytes()).hexdigest()
