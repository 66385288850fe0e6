"""Production component sets of Node lockfiles: the gate against the package manager and cdxgen.

For each fixture the script computes three sets of ``name@version`` (registry, git and tarball packages;
workspace projects and links are not packages):

- **oracle**: what the package manager itself says production installs, from the lockfile alone:
  ``npm ci --omit=dev --dry-run --offline`` (its install plan; ``npm ls --omit=dev`` is no oracle: it
  still lists the workspaces' devDependencies) and
  ``pnpm list --lockfile-only --prod -r --depth Infinity --json`` (the fixtures carry no workspace folders, so
  each workspace's package.json is rebuilt from the lockfile's entry or importer, specifiers included);
- **gate**: the Node collector's components whose scope is not dev;
- **cdxgen**: ``cdxgen -t js`` components whose scope is required (cdxgen marks dev as ``optional``).

Usage: ``python benchmarks/compare_cdxgen_node.py [--cdxgen PATH] [--npm PATH] [--pnpm PATH]``.
Peers are not product dependencies: install them into /tmp, e.g.
``npm install --prefix /tmp/node-cdx @cyclonedx/cdxgen@12 pnpm@10``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gate.collect import Inventory, Settings  # noqa: E402
from gate.collect.node import NodeCollector  # noqa: E402

FIXTURES = Path(os.environ.get("GATE_FIXTURES", HERE.parent.parent / "shared" / "fixtures")) / "lockfiles"
CASES = {"servers": "npm", "pinecone-mcp": "npm", "claude-context": "pnpm"}


def gate_set(tree: Path) -> set[str]:
    inv = Inventory(Settings(target=tree, include_tests=True))
    run = NodeCollector().collect(inv)
    if run.status not in ("ok",):
        print(f"  gate: collector {run.status}: {[e.message for e in run.errors]}")
    return {f"{c.name}@{c.version}" for c in inv.components if c.ecosystem == "npm" and c.production}


def npm_oracle(tree: Path, npm: str) -> set[str]:
    """``npm ci --omit=dev --dry-run``: npm's own production install plan, offline, no scripts run."""
    lock = json.loads((tree / "package-lock.json").read_text())
    packages = lock.get("packages") or {}
    links = set()
    for path, entry in packages.items():
        if entry.get("link"):
            links.add(path)
        elif path and "node_modules/" not in path:  # a workspace folder: rebuild its package.json
            (tree / path).mkdir(parents=True, exist_ok=True)
            keys = (
                "name",
                "version",
                "dependencies",
                "devDependencies",
                "optionalDependencies",
                "peerDependencies",
            )
            man = {k: entry[k] for k in keys if k in entry}
            (tree / path / "package.json").write_text(json.dumps(man, indent=2))
    proc = subprocess.run(
        [npm, "ci", "--omit=dev", "--dry-run", "--ignore-scripts", "--json", "--offline"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = proc.stdout
    start = text.find("\n{")
    doc = json.loads(text[start:] if start >= 0 else text)
    out = set()
    for add in doc.get("add", []):
        rel = Path(add["path"]).relative_to(tree.resolve()).as_posix()
        if rel not in links:
            out.add(f"{add['name']}@{add['version']}")
    return out


def pnpm_oracle(tree: Path, pnpm: str) -> set[str]:
    lock = yaml.load((tree / "pnpm-lock.yaml").read_text(), Loader=yaml.CSafeLoader)
    importers = lock.get("importers") or {}
    for path, imp in importers.items():
        if path == ".":
            continue
        (tree / path).mkdir(parents=True, exist_ok=True)
        man: dict[str, Any] = {"name": "ws-" + path.replace("/", "-"), "version": "0.0.0"}
        for group in ("dependencies", "devDependencies", "optionalDependencies"):
            if group in (imp or {}):
                man[group] = {k: v["specifier"] for k, v in imp[group].items()}
        (tree / path / "package.json").write_text(json.dumps(man, indent=2))
    (tree / "pnpm-workspace.yaml").write_text(
        "packages:\n" + "".join(f"  - '{p}'\n" for p in importers if p != ".")
    )
    proc = subprocess.run(
        [pnpm, "list", "--lockfile-only", "--prod", "-r", "--depth", "Infinity", "--json"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out: set[str] = set()
    for proj in json.loads(proc.stdout):
        for group in ("dependencies", "optionalDependencies"):
            _walk_pnpm(proj.get(group) or {}, out)
    return out


def _walk_pnpm(deps: dict[str, Any], out: set[str]) -> None:
    for alias, dep in deps.items():
        version = str(dep.get("version", ""))
        if not version.startswith(("link:", "file:")):
            name = alias
            if "@" in version[1:]:  # an alias: version is "real-name@1.2.3"
                i = version.index("@", 1)
                name, version = version[:i], version[i + 1 :]
            elif dep.get("from") and dep["from"] != alias:
                name = dep["from"]
            out.add(f"{name}@{version}")
        for group in ("dependencies", "optionalDependencies"):
            _walk_pnpm(dep.get(group) or {}, out)


def cdxgen_set(tree: Path, cdxgen: str) -> set[str]:
    out_file = tree.parent / f"{tree.name}.cdx.json"
    subprocess.run(
        [cdxgen, "-t", "js", "-o", str(out_file), str(tree)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "CDXGEN_DEBUG_MODE": "", "FETCH_LICENSE": "false"},
    )
    doc = json.loads(out_file.read_text())
    out = set()
    for c in doc.get("components", []):
        if c.get("scope") in (None, "required"):
            name = f"{c['group']}/{c['name']}" if c.get("group") else c["name"]
            out.add(f"{name}@{c.get('version')}")
    return out


def show(label: str, items: set[str]) -> None:
    if items:
        print(
            f"    {label} ({len(items)}): {', '.join(sorted(items)[:25])}{' ...' if len(items) > 25 else ''}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cdxgen", default=shutil.which("cdxgen") or "/tmp/node-cdx/node_modules/.bin/cdxgen")
    ap.add_argument("--npm", default=shutil.which("npm") or "npm")
    ap.add_argument("--pnpm", default=shutil.which("pnpm") or "/tmp/node-cdx/node_modules/.bin/pnpm")
    ap.add_argument("--no-cdxgen", action="store_true")
    ap.add_argument(
        "--write-oracle", metavar="DIR", help="Save each oracle set as DIR/<fixture>.json (test data)."
    )
    args = ap.parse_args()
    worst = 0
    for name, pm in CASES.items():
        src = FIXTURES / name
        with tempfile.TemporaryDirectory(prefix="gate-node-") as tmp:
            pristine = Path(tmp) / name
            shutil.copytree(src, pristine)
            oracle_tree = Path(tmp) / f"{name}-oracle"
            shutil.copytree(src, oracle_tree)
            ours = gate_set(pristine)
            oracle = npm_oracle(oracle_tree, args.npm) if pm == "npm" else pnpm_oracle(oracle_tree, args.pnpm)
            cdx = set() if args.no_cdxgen else cdxgen_set(pristine, args.cdxgen)
        if args.write_oracle:
            Path(args.write_oracle).mkdir(parents=True, exist_ok=True)
            tool = "npm ci --omit=dev --dry-run" if pm == "npm" else "pnpm list --lockfile-only --prod -r"
            (Path(args.write_oracle) / f"{name}.json").write_text(
                json.dumps({"tool": tool, "production": sorted(oracle)}, indent=1) + "\n"
            )
        print(f"{name} ({pm}): oracle {len(oracle)}, gate {len(ours)}, cdxgen {len(cdx) if cdx else '-'}")
        show("gate extra vs oracle", ours - oracle)
        show("gate missing vs oracle", oracle - ours)
        if cdx:
            show("cdxgen extra vs oracle", cdx - oracle)
            show("cdxgen missing vs oracle", oracle - cdx)
        if ours != oracle:
            worst = 1
        else:
            print("    gate == oracle")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
