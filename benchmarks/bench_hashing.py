"""Hash a 2 GiB model folder with gate.hashing and with sha256sum on the same files; then again from the
cache. Prints both throughputs and the ratio.

    .venv/bin/python benchmarks/bench_hashing.py [--size-gib 2] [--files 8] [--dir /tmp/gate-bench-model]

The folder is generated (random bytes) and deleted afterwards. Page cache is warmed once before timing so
both tools read from memory (what a CI runner sees on a second step); each tool is timed best-of-3.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gate.hashing import HashCache, hash_files

MiB = 1024 * 1024


def generate(folder: Path, total: int, files: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    per = total // files
    paths = []
    block = os.urandom(4 * MiB)
    for i in range(files):
        p = folder / f"model-{i:05d}-of-{files:05d}.safetensors"
        with p.open("wb") as fh:
            written = 0
            while written < per:
                n = min(len(block), per - written)
                fh.write(block[:n] if i % 2 == 0 else bytes(reversed(block[:n])))
                written += n
        paths.append(p)
    return paths


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-gib", type=float, default=2.0)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    total = int(args.size_gib * 1024 * MiB)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="gate-bench-model-", dir="/tmp"))
    cache_file = Path(tempfile.mkdtemp(prefix="gate-bench-cache-", dir="/tmp")) / "hashes.json"
    try:
        paths = generate(folder, total, args.files)
        subprocess.run(["cat", *map(str, paths)], stdout=subprocess.DEVNULL, check=True)  # warm page cache
        ref = subprocess.run(
            ["sha256sum", *map(str, paths)], capture_output=True, text=True, check=True
        ).stdout
        expected = {line.split()[1]: line.split()[0] for line in ref.splitlines()}
        t_sum = best(
            lambda: subprocess.run(["sha256sum", *map(str, paths)], stdout=subprocess.DEVNULL, check=True)
        )
        ncpu = str(os.cpu_count() or 2)
        t_par = best(
            lambda: subprocess.run(
                ["xargs", "-0", "-n", "1", "-P", ncpu, "sha256sum"],
                input=b"\0".join(str(p).encode() for p in paths),
                stdout=subprocess.DEVNULL,
                check=True,
            )
        )
        t_gate = best(lambda: hash_files(paths, cache=HashCache(cache_file, enabled=False)))
        got = hash_files(paths, cache=HashCache(cache_file, enabled=False))
        assert all(got[p] == expected[str(p)] for p in paths), "digests differ from sha256sum"
        hash_files(paths, cache=HashCache(cache_file))  # fill the cache
        t_cached = best(lambda: hash_files(paths, cache=HashCache(cache_file)), runs=5)
        gib = total / (1024 * MiB)
        print(f"{gib:.2f} GiB in {args.files} files, {os.cpu_count()} CPUs")
        print(f"sha256sum          {t_sum:7.3f} s  {gib / t_sum:6.2f} GiB/s")
        print(
            f"sha256sum xargs -P {t_par:7.3f} s  {gib / t_par:6.2f} GiB/s  ({ncpu} processes, one file each)"
        )
        print(
            f"gate.hashing       {t_gate:7.3f} s  {gib / t_gate:6.2f} GiB/s  ({t_sum / t_gate * 100:.0f}% of sha256sum)"
        )
        print(
            f"gate.hashing cache {t_cached * 1000:7.1f} ms (second run, unchanged files, cache loaded from disk)"
        )
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(cache_file.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
