"""gate and pip-audit side by side on the same pinned requirements and the same OSV records.

pip-audit 2.10 (the CLI, as people run it: ``pip-audit -r requirements.txt --no-deps --disable-pip -s osv``)
queries an OSV-compatible server on loopback (``--osv-url``) that serves the PyPA advisory database snapshot
and matches with its own, independent implementation (``tests/evidence/vulns/osv_fake_server.py``). gate
reads the same records as its offline database. Both start as fresh processes; the script compares the
findings (per package, the set of ids and aliases of each vulnerability) and prints the ratio.

Both tools run once untimed first (bytecode written, files in the page cache), then ``--repeat`` times; the
best wall and CPU times are kept, and the load average is printed before and after. The timed processes
never see ``PYTHONDONTWRITEBYTECODE``: with it, every run would compile its sources again.

    .venv/bin/python benchmarks/compare_pip_audit.py [--packages 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "evidence" / "vulns"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_vulns import DEFAULT_ZIP, pins, unparseable_fixes, write_requirements  # noqa: E402
from osv_fake_server import FakeOsv  # noqa: E402

from gate.evidence.vulns import db as vdb  # noqa: E402
from gate.evidence.vulns.osv import package_keys  # noqa: E402

PY = sys.executable
PIP_AUDIT = str(Path(PY).with_name("pip-audit"))
# Timed processes write and reuse bytecode, as installed tools do.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

# gate as a fresh process: read the pins, scan them against the database (matching, alias merging,
# severity, pip-audit fix suggestions), print the findings as JSON.
GATE_SCAN = r"""
import json, sys, tempfile
from pathlib import Path
from gate.collect import Inventory, Settings
from gate.evidence.vulns import VulnCollector
from gate.model import Component
from gate.purl import pypi_purl
req, db = sys.argv[1], sys.argv[2]
comps = []
for line in Path(req).read_text().splitlines():
    name, _, version = line.partition("==")
    purl = pypi_purl(name, version)
    comps.append(Component(ref=purl, name=name, version=version, ecosystem="pypi", purl=purl))
inv = Inventory(Settings(target=Path(tempfile.gettempdir()),
                         options={"vuln_db": db, "vuln_db_max_age": 1e9}))
inv.components = comps
run = VulnCollector().collect(inv)
out = {c.name: [f["ids"] for f in inv.annotations[c.ref].get("vulnerabilities", [])] for c in comps}
print(json.dumps({"status": run.status, "findings": out}))
"""


def child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_gate(req: Path, db: Path) -> tuple[float, float, dict[str, Any]]:
    t, c = time.perf_counter(), child_cpu()
    proc = subprocess.run(
        [PY, "-c", GATE_SCAN, str(req), str(db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=ENV,
    )
    return time.perf_counter() - t, child_cpu() - c, json.loads(proc.stdout)


def run_pip_audit(req: Path, url: str, cache: Path) -> tuple[float, float, dict[str, Any], str]:
    cmd = [
        PIP_AUDIT,
        "-r",
        str(req),
        "--no-deps",
        "--disable-pip",
        "-s",
        "osv",
        "--osv-url",
        f"{url}/v1/query",
        "-f",
        "json",
        "--progress-spinner",
        "off",
        "--cache-dir",
        str(cache),
    ]
    t, c = time.perf_counter(), child_cpu()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    elapsed, cpu = time.perf_counter() - t, child_cpu() - c
    try:
        return elapsed, cpu, json.loads(proc.stdout), proc.stderr
    except ValueError:
        return elapsed, cpu, {}, proc.stderr


def groups_pip_audit(report: dict[str, Any]) -> dict[str, set[frozenset[str]]]:
    out: dict[str, set[frozenset[str]]] = {}
    for dep in report.get("dependencies", []):
        out[dep["name"]] = {frozenset([v["id"], *v.get("aliases", [])]) for v in dep.get("vulns", [])}
    return out


def groups_gate(result: dict[str, Any]) -> dict[str, set[frozenset[str]]]:
    return {name: {frozenset(ids) for ids in groups} for name, groups in result["findings"].items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zip", type=Path, default=DEFAULT_ZIP, help="OSV records (default: the PyPA snapshot)")
    ap.add_argument("--packages", type=int, default=1000, help="pinned packages (default: 1000)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="timed runs of each tool; the best counts (default: 3)"
    )
    args = ap.parse_args()
    load_before = os.getloadavg()
    if not Path(PIP_AUDIT).exists() and shutil.which("pip-audit") is None:
        sys.exit("pip-audit is not installed")
    records = [r for _, r in vdb.iter_zip_records(args.zip)]
    # pip-audit aborts the whole audit on a record whose fixed version PEP 440 rejects; leave those packages
    # out of the side by side (gate reports them, with a note that the bound was not used).
    crashing = set()
    for r in records:
        if unparseable_fixes(r):
            crashing |= {k for e, k in package_keys(r) if e == "PyPI"}
    pinned = pins(args.zip, args.packages, exclude=crashing)
    with tempfile.TemporaryDirectory(prefix="gate-vs-pip-audit-") as tmp, FakeOsv(records) as server:
        t = Path(tmp)
        req = t / "requirements.txt"
        write_requirements(req, pinned)
        managed = t / "db"
        vdb.import_zip(managed, "PyPI", args.zip)
        dbs = {"zip": args.zip, "managed": managed}
        for db in dbs.values():
            run_gate(req, db)  # warm-up, untimed
        run_pip_audit(req, server.url, t / "pa-cache-warm-up")
        # The tools take turns, so that a change of load in the middle hits both.
        times: dict[str, list[float]] = {label: [] for label in dbs}
        cpus: dict[str, list[float]] = {label: [] for label in dbs}
        found: dict[str, dict[str, Any]] = {}
        pa_times, pa_cpus = [], []
        pa_report: dict[str, Any] = {}
        stderr = ""
        for i in range(args.repeat):
            for label, db in dbs.items():
                elapsed, cpu, found[label] = run_gate(req, db)
                times[label].append(elapsed)
                cpus[label].append(cpu)
            # a cold HTTP cache each time (pip-audit caches OSV answers)
            elapsed, cpu, pa_report, stderr = run_pip_audit(req, server.url, t / f"pa-cache-{i}")
            pa_times.append(elapsed)
            pa_cpus.append(cpu)
        rows = [
            (f"gate ({label} database)", min(times[label]), min(cpus[label]), found[label]) for label in dbs
        ]
        pa_best, pa_cpu = min(pa_times), min(pa_cpus)
        if not pa_report:
            print("pip-audit produced no report:", stderr.strip().splitlines()[-3:])
        theirs = groups_pip_audit(pa_report)
        print(
            f"{len(pinned)} pinned packages, {len(records)} OSV records; left out {len(crashing)} packages whose "
            f"records have a fixed version pip-audit cannot parse: {sorted(crashing)}"
        )
        print(
            f"pip-audit {pa_best:.2f} s wall, {pa_cpu:.2f} s CPU (best of {args.repeat}, loopback OSV server, "
            "cold cache; the server's own work is not counted)"
        )
        for label, best_t, best_cpu, ours in rows:
            mine = groups_gate(ours)
            names = set(mine) | set(theirs)
            # Same vulnerabilities: per package, the union of every id and alias reported.
            same_ids = all(
                set().union(*mine.get(n, set())) == set().union(*theirs.get(n, set())) for n in names
            )
            # Same grouping, except that gate merges records whose alias sets connect (pip-audit keeps two
            # PYSEC records of one vulnerability as two findings): each pip-audit finding lies inside exactly
            # one gate finding, and each gate finding is the union of the pip-audit findings inside it.
            merged = 0
            grouping_ok = True
            for n in names:
                for g in mine.get(n, set()):
                    inside = [p for p in theirs.get(n, set()) if p <= g]
                    if not inside or set().union(*inside) != g:
                        grouping_ok = False
                    merged += len(inside) - 1
                for p in theirs.get(n, set()):
                    if sum(1 for g in mine.get(n, set()) if p <= g) != 1:
                        grouping_ok = False
            n_f = sum(len(v) for v in mine.values())
            print(
                f"{label}: {best_t:.2f} s wall ({pa_best / best_t:.1f}x faster than pip-audit), {best_cpu:.2f} s "
                f"CPU ({pa_cpu / best_cpu:.1f}x less); {n_f} findings "
                f"(status {ours['status']}); same vulnerabilities per package: {same_ids}; same grouping "
                f"except merged duplicates: {grouping_ok} ({merged} pip-audit findings are duplicates of another)"
            )
        print(f"pip-audit findings: {sum(len(v) for v in theirs.values())}")
        load_after = os.getloadavg()
        print(
            "load average (1, 5, 15 min): before {}, after {}".format(
                *(" ".join(f"{x:.2f}" for x in avg) for avg in (load_before, load_after))
            )
        )


if __name__ == "__main__":
    main()
