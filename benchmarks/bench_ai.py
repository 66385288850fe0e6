"""AI detection speed on a Python repository of at least 50,000 lines, side by side with cdxgen's AI mode.

The repository is built in a temporary folder from installed libraries' sources (real code: pydantic,
rich, click, requests, ... from this environment's site-packages) plus one module of AI references, so the
analyser has to parse and index everything. Runs the AI collector in-process (best of N) and, when
available, ``cdxgen -t ai`` on the same folder.

    python benchmarks/bench_ai.py [--lines 50000] [--runs 3] [--no-cdxgen] [--dir PATH]

``--dir`` times an existing tree instead (e.g. a TypeScript code base) and counts its source lines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CDXGEN = os.environ.get("CDXGEN", "/tmp/cdxgen/node_modules/.bin/cdxgen")
LIBRARIES = [
    "rich",
    "click",
    "requests",
    "pydantic",
    "urllib3",
    "jsonschema",
    "packaging",
    "yaml",
    "idna",
    "certifi",
    "attr",
    "rfc3986",
    "markdown_it",
    "pygments",
]

AI_MODULE = """
import os
from sentence_transformers import SentenceTransformer
from openai import OpenAI
from pydantic_settings import BaseSettings

MODEL = os.getenv("EMBEDDING_MODEL", "BAAI/bge-small-en-v1.5")


class Settings(BaseSettings):
    chat_model: str = "gpt-4o-mini"


client = OpenAI()


def embed(texts):
    return SentenceTransformer(MODEL).encode(texts)


def chat(prompt, settings: Settings):
    return client.chat.completions.create(model=settings.chat_model, messages=[prompt])
"""


def build_repo(dest: Path, min_lines: int) -> tuple[int, int]:
    sp = Path(
        next(p for p in site.getsitepackages() if Path(p, "rich").is_dir())
        if any(Path(p, "rich").is_dir() for p in site.getsitepackages())
        else Path(sys.prefix)
    )
    src = dest / "src"
    src.mkdir(parents=True)
    lines = files = 0
    for lib in LIBRARIES:
        if lines >= min_lines:
            break
        origin = sp / lib
        if not origin.is_dir():
            continue
        shutil.copytree(origin, src / lib, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))
        for f in (src / lib).rglob("*.py"):
            files += 1
            lines += sum(1 for _ in f.open("rb"))
    (src / "ai_refs.py").write_text(AI_MODULE)
    (dest / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    return lines, files


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-cdxgen", action="store_true")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    os.environ["GATE_NO_HASH_CACHE"] = "1"
    from gate.collect import Inventory, Settings
    from gate.collect.ai import AICollector

    with tempfile.TemporaryDirectory(prefix="gate-ai-bench-") as tmp:
        repo = Path(tmp) / "repo"
        if args.dir:
            shutil.copytree(args.dir, repo, symlinks=True)
            srcs = [p for p in repo.rglob("*") if p.suffix in (".py", ".ts", ".tsx", ".js", ".mjs", ".cjs")]
            lines, files = sum(sum(1 for _ in p.open("rb")) for p in srcs), len(srcs)
            print(f"tree {args.dir}: {files} source files, {lines:,} lines")
        else:
            lines, files = build_repo(repo, args.lines)
            print(f"repository: {files} Python files, {lines:,} lines")
        best = float("inf")
        names: list[str] = []
        for _ in range(args.runs):
            inv = Inventory(Settings(target=repo))
            t0 = time.perf_counter()
            run = AICollector().collect(inv)
            best = min(best, time.perf_counter() - t0)
            names = sorted(c.name for c in inv.components)
        print(
            f"gate AI collector: {best:.2f} s (best of {args.runs}), status {run.status}, "
            f"{len(names)} components: {names}"
        )
        if not args.no_cdxgen and Path(CDXGEN).exists():
            out = Path(tmp) / "bom.json"
            t0 = time.perf_counter()
            subprocess.run(
                [CDXGEN, "-t", "ai", "--no-install-deps", "-o", str(out), str(repo)],
                capture_output=True,
                timeout=900,
                check=False,
                env={**os.environ, "CDXGEN_NO_BANNER": "1"},
            )
            cdx = time.perf_counter() - t0
            import json

            comps = json.loads(out.read_text()).get("components", []) if out.exists() else []
            ml = sorted(c["name"] for c in comps if c.get("type") in ("machine-learning-model", "data"))
            print(f"cdxgen -t ai: {cdx:.2f} s, {len(ml)} model/data components: {ml[:20]}")
            print(f"ratio cdxgen / gate: {cdx / best:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
