"""Vulnerability scan speed: load and index the offline database, then match a 1,000-package Python lockfile.

Runs on the PyPA advisory database snapshot (2,661 OSV records, shaped like OSV's PyPI ``all.zip``) and on a
synthetic database ten times larger (every record copied under ten renamed packages), in the three shapes
gate reads: the zip itself, the managed store that ``gate db update`` builds (compact records + index), and
the managed store opened lazily (only the packages looked up are read).

    .venv/bin/python benchmarks/bench_vulns.py [--zip PATH] [--packages 1000] [--repeat 5]

Prints the best of ``--repeat`` runs for each step. The 1,000 pins are deterministic: every package the
database names at a version its records list (so many are vulnerable), topped up with names it does not
know.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gate.collect import Inventory, Settings  # noqa: E402
from gate.evidence.vulns import VulnCollector  # noqa: E402
from gate.evidence.vulns import db as vdb  # noqa: E402
from gate.evidence.vulns.source import Query  # noqa: E402
from gate.evidence.vulns.versions import normalize_name, parse  # noqa: E402
from gate.model import Component  # noqa: E402
from gate.purl import pypi_purl  # noqa: E402

DEFAULT_ZIP = REPO.parent / "shared" / "fixtures" / "osv" / "pypa-advisory-db-2024-10-10.zip"


CPU: dict[str, float] = {}


def best(fn: Callable[[], Any], repeat: int, label: str = "") -> tuple[float, Any]:
    """Best wall time of ``repeat`` runs; the best CPU time (less sensitive to a busy machine) goes to CPU."""
    times, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    if label:
        CPU[label] = min(cpus)
    return min(times), out


def unparseable_fixes(record: dict[str, Any]) -> bool:
    """Whether a record has a PyPI ``fixed`` version that PEP 440 rejects (pip-audit's OSV service crashes on
    those, aborting the whole audit)."""
    for aff in record.get("affected") or ():
        for rng in aff.get("ranges") or ():
            for ev in rng.get("events") or ():
                if rng.get("type") == "ECOSYSTEM" and "fixed" in ev:
                    try:
                        parse("PyPI", ev["fixed"])
                    except ValueError:
                        return True
    return False


def pins(db_zip: Path, n: int, seed: int = 1, exclude: set[str] | None = None) -> list[tuple[str, str]]:
    """n (name, version) pins: each package of the database at a version from its records, then fillers.
    ``exclude``: package keys left out."""
    rng = random.Random(seed)
    versions: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for _, record in vdb.iter_zip_records(db_zip):
        for aff in record.get("affected") or ():
            pkg = aff.get("package") or {}
            if pkg.get("ecosystem") != "PyPI":
                continue
            key = normalize_name("PyPI", pkg["name"])
            if exclude and key in exclude:
                continue
            names.setdefault(key, key)
            for v in aff.get("versions") or ():
                try:
                    parse("PyPI", v)
                except ValueError:
                    continue
                versions.setdefault(key, set()).add(v)
    out = []
    for key in sorted(names):
        vs = sorted(versions.get(key, ()))
        out.append((key, rng.choice(vs) if vs else "1.0.0"))
    i = 0
    while len(out) < n:
        out.append(
            (f"bench-unlisted-{i:04d}", f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}")
        )
        i += 1
    return sorted(out[:n])


def write_requirements(path: Path, pinned: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{n}=={v}\n" for n, v in pinned), encoding="utf-8")


def synthetic_zip(src: Path, dest: Path, factor: int) -> Path:
    """``factor`` copies of every record, each about its own renamed package (same ranges and versions)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for _, record in vdb.iter_zip_records(src):
            for k in range(factor):
                r = json.loads(json.dumps(record))
                r["id"] = f"{record['id']}-S{k}"
                r["aliases"] = [f"{a}-S{k}" for a in record.get("aliases") or ()]
                for aff in r.get("affected") or ():
                    pkg = aff.get("package") or {}
                    if "name" in pkg:
                        pkg["name"] = pkg["name"] if k == 0 else f"{pkg['name']}-syn{k}"
                out.writestr(f"{r['id']}.json", json.dumps(r))
    return dest


def inventory_for(pinned: list[tuple[str, str]]) -> Inventory:
    inv = Inventory(Settings(target=Path(tempfile.gettempdir())))
    inv.components = [
        Component(ref=pypi_purl(n, v), name=n, version=v, ecosystem="pypi", purl=pypi_purl(n, v))
        for n, v in pinned
    ]
    return inv


def queries_for(pinned: list[tuple[str, str]]) -> list[Query]:
    return [Query("PyPI", n, normalize_name("PyPI", n), v, parse("PyPI", v)) for n, v in pinned]


def measure(label: str, path: Path, pinned: list[tuple[str, str]], repeat: int) -> dict[str, Any]:
    load_t, db = best(lambda: vdb.Database.open(path), repeat, "load")
    queries = queries_for(pinned)

    def match_fresh() -> Any:
        d = vdb.Database.open(path)  # lazy stores cache what they read: time the first lookups too
        with vdb.no_gc():  # as the collector matches
            t, c = time.perf_counter(), time.process_time()
            answers = d.query(queries)
            return time.perf_counter() - t, time.process_time() - c, answers

    match_runs = [match_fresh() for _ in range(repeat)]
    match_t = min(t for t, _, _ in match_runs)
    match_cpu = min(c for _, c, _ in match_runs)
    answers = match_runs[0][2]
    vulnerable = sum(1 for a in answers.values() if a.matches)

    def collector() -> Any:
        inv = inventory_for(pinned)
        run = VulnCollector(source=vdb.Database.open(path)).collect(inv)
        return run, inv

    total_t, (run, inv) = best(collector, repeat, "total")
    return {
        "database": label,
        "records": db.records,
        "load_index_s": round(load_t, 4),
        "load_cpu_s": round(CPU["load"], 4),
        "match_s": round(match_t, 4),
        "match_cpu_s": round(match_cpu, 4),
        "collector_total_s": round(total_t, 4),
        "total_cpu_s": round(CPU["total"], 4),
        "packages": len(pinned),
        "vulnerable_packages": vulnerable,
        "findings": inv.sections["vulnerabilities"]["summary"]["findings"],
        "status": run.status,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    ap.add_argument("--packages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--factor", type=int, default=10)
    args = ap.parse_args()
    pinned = pins(args.zip, args.packages)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gate-bench-vulns-") as tmp:
        t = Path(tmp)
        rows.append(measure("pypa zip", args.zip, pinned, args.repeat))
        t0 = time.perf_counter()
        vdb.import_zip(t / "managed", "PyPI", args.zip)
        build = time.perf_counter() - t0
        rows.append(
            {**measure("pypa managed", t / "managed", pinned, args.repeat), "build_s": round(build, 3)}
        )
        big = synthetic_zip(args.zip, t / "big.zip", args.factor)
        rows.append(measure(f"synthetic x{args.factor} zip", big, pinned, max(1, args.repeat // 2)))
        t0 = time.perf_counter()
        vdb.import_zip(t / "big-managed", "PyPI", big)
        build = time.perf_counter() - t0
        rows.append(
            {
                **measure(f"synthetic x{args.factor} managed", t / "big-managed", pinned, args.repeat),
                "build_s": round(build, 3),
            }
        )
    cols = [
        "database",
        "records",
        "load_index_s",
        "match_s",
        "collector_total_s",
        "build_s",
        "vulnerable_packages",
        "findings",
        "status",
    ]
    print(" | ".join(cols))
    for r in rows:
        print(" | ".join(str(r.get(c, "")) for c in cols))
    print(
        json.dumps(
            {"rows": rows, "median_load": statistics.median(r["load_index_s"] for r in rows)}, indent=None
        )
    )


if __name__ == "__main__":
    main()
