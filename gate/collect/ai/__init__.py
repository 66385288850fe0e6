"""AI components: the models, embeddings and datasets an MCP server uses and the hosted AI APIs it calls.

Sources, in one pass over the target's files (``inventory.walk()``: tests, benchmarks and examples of the
target are out of scope unless ``--include-tests``):

- Python source by AST (:mod:`.python_source`), TypeScript/JavaScript by tree-sitter (:mod:`.ts_source`),
  configuration files (:mod:`.config_files`);
- library-implicit defaults from the knowledge table (``knowledge.json``): chromadb's default embedding
  function, fastembed's names mapped to the repositories it downloads, mcp-server-qdrant's default model;
- local model and data files recognised by content, hashed, and pickle-scanned (:mod:`gate.evidence.artifacts`).

Adds ``machine-learning-model`` and ``data`` components, ``ai-api`` services, the flat ``input.ai`` section
and the SBOM extension that writes ``modelCard`` and ``data`` (:mod:`gate.sbom.mlbom`).

The walk sorts files by name; each analyser, the model-file scanner and the SBOM extension are imported
with the first file or component that needs them (their imports cost more than the collector's own work on
a target without AI), so a target without any pays nothing for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from gate import safeio
from gate.collect import ALWAYS_SKIPPED_DIRS, TEST_DIRS, Inventory, is_excluded
from gate.collect.ai.build import build
from gate.collect.ai.refs import Reference, knowledge
from gate.errors import InputError
from gate.model import CollectorError, CollectorRun, CollectorStatus
from gate.record import Record

if TYPE_CHECKING:
    from gate.collect.ai.python_source import PythonAnalyser
    from gate.collect.ai.ts_source import TsFile
    from gate.evidence.artifacts import Artifact

MAX_SOURCE_BYTES = 4 * 1024 * 1024
TEXT_EXTS = frozenset(
    {
        ".py",
        ".pyi",
        ".ts",
        ".tsx",
        ".js",
        ".jsx",
        ".mjs",
        ".cjs",
        ".md",
        ".rst",
        ".txt",
        ".json",
        ".yaml",
        ".yml",
        ".toml",
        ".cfg",
        ".ini",
        ".html",
        ".css",
        ".scss",
        ".svg",
        ".lock",
        ".sh",
        ".go",
        ".rs",
        ".java",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".xml",
        ".csv",
        ".tsv",
        ".map",
        ".gitignore",
        ".in",
        ".jinja",
        ".j2",
        ".sql",
        ".rego",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".ico",
        ".webp",
        ".woff",
        ".woff2",
        ".ttf",
        ".pdf",
    }
)
SKIP_NAMES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "jsconfig.json",
        "composer.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "poetry.lock",
        "uv.lock",
        "Cargo.lock",
        ".eslintrc.json",
        "renovate.json",
        "turbo.json",
        "lerna.json",
        ".prettierrc.json",
        "deno.lock",
        "pdm.lock",
        "Pipfile.lock",
        "server.json",
    }
)
_EAGER = ("BaseSettings", "BaseModel", "getenv", "environ", "Field(")
_JS_EXTS = frozenset({"js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts"})


@dataclass(repr=False)
class _Found(Record):
    refs: list[Reference] = field(default_factory=list)
    errors: list[CollectorError] = field(default_factory=list)
    strings: dict[str, tuple[str, int]] = field(default_factory=dict)


def _tooling_config(rel: str) -> bool:
    """Editor and CI settings (``.vscode/settings.json``, ``.github/workflows/*.yml``) configure tools, not
    the server; MCP client configurations there (``mcp.json``) are kept."""
    parts = PurePosixPath(rel).parts
    return any(p.startswith(".") for p in parts[:-1]) and parts[-1] not in ("mcp.json", ".mcp.json")


def is_test_file(rel: str) -> bool:
    """Test modules by name: ``test_*.py``, ``*_test.py``, ``conftest.py``, ``*.test.ts``, ``*.spec.js``,
    ``*.poku.js`` and the like (their folders are scoped out by the walk)."""
    name = PurePosixPath(rel).name
    if name.endswith(".py"):
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    parts = name.split(".")
    return len(parts) > 2 and parts[-1] in _JS_EXTS and parts[-2] in ("test", "spec", "poku", "e2e", "bench")


def parser_kind(name: str) -> str | None:
    """The tree-sitter grammar (``ts``, ``tsx``, ``js``) for a source file, by name; None for other files."""
    low = name.lower()
    if low.endswith((".ts", ".mts", ".cts")) and not low.endswith(".d.ts"):
        return "ts"
    if low.endswith(".tsx"):
        return "tsx"
    if low.endswith((".js", ".mjs", ".cjs", ".jsx")) and not low.endswith(".min.js"):
        return "js"
    return None


def config_kind(path: Path) -> str | None:
    """The format (``yaml``, ``toml``, ``json``, ``env``) of a file :mod:`.config_files` reads, by name."""
    name = path.name
    low = name.lower()
    if name in SKIP_NAMES or low.startswith("tsconfig"):
        return None
    if low.endswith((".yaml", ".yml")):
        return "yaml"
    if low.endswith(".toml"):
        return "toml"
    if low.endswith(".json") and not low.endswith((".schema.json", ".lock.json")):
        return "json"
    if low == ".env" or low.startswith(".env.") or low.endswith(".env"):
        return "env"
    return None


class AICollector:
    name = "ai"

    def collect(self, inventory: Inventory) -> CollectorRun:
        root = inventory.root
        include_tests = inventory.settings.include_tests
        found = _Found()
        analyser: PythonAnalyser | None = None
        ts_files: list[TsFile] = []
        artifacts: list[tuple[Path, Artifact]] = []
        model_paths: list[tuple[Path, str, str]] = []
        skipped: list[str] = []
        counts = {"python": 0, "typescript": 0, "config": 0, "model_files": 0, "large_configs_skipped": 0}

        for path in inventory.walk():
            rel = inventory.rel(path)
            if not include_tests and is_test_file(rel):
                continue
            suffix = path.suffix.lower()
            try:
                if (suffix == ".py" or parser_kind(path.name)) and path.stat().st_size > MAX_SOURCE_BYTES:
                    # generated bundles and data modules: listed in the run's stats, not analysed
                    skipped.append(rel)
                    continue
                if suffix == ".py":
                    from gate.collect.ai.python_source import PythonAnalyser, has_trigger

                    text = safeio.read_text(path, max_bytes=MAX_SOURCE_BYTES, shown=rel)
                    counts["python"] += 1
                    if analyser is None:
                        analyser = PythonAnalyser(root)
                    analyser.add(rel, text, eager=has_trigger(text, _EAGER))
                    continue
                kind = parser_kind(path.name)
                if kind is not None:
                    from gate.collect.ai.ts_source import TsFile

                    data = safeio.read_bytes(path, max_bytes=MAX_SOURCE_BYTES, shown=rel)
                    counts["typescript"] += 1
                    ts_files.append(TsFile(rel, data, kind))
                    continue
                ckind = config_kind(path)
                if ckind is not None and _tooling_config(rel):
                    continue
                if ckind is not None:
                    from gate.collect.ai.config_files import MAX_CONFIG_BYTES, scan_config

                    if path.stat().st_size > MAX_CONFIG_BYTES:
                        counts["large_configs_skipped"] += 1
                        continue
                    counts["config"] += 1
                    refs, strings = scan_config(path, rel, ckind)
                    found.refs += refs
                    for value, line in strings.items():
                        found.strings.setdefault(value, (rel, line))
                    continue
                if suffix in TEXT_EXTS:
                    continue
                st = path.stat()
                if st.st_size < 9:
                    continue
                with path.open("rb") as fh:
                    head = fh.read(16)
                from gate.evidence.artifacts import sniff

                fmt = sniff(path, head)
                if fmt is not None:
                    model_paths.append((path, rel, fmt))
            except InputError as e:
                # A source or configuration file that cannot be read is named in the run (which then is
                # incomplete, and policy blocks on it) rather than stopping the whole gate: targets hold
                # templates and generated files that are not meant to parse.
                found.errors.append(CollectorError(e.message, file=rel))
            except OSError as e:
                found.errors.append(CollectorError(f"cannot read: {e}", file=rel))
        if analyser is not None:
            for rel, eline, msg in analyser.errors:
                found.errors.append(CollectorError(msg, file=rel, line=eline))
            found.refs += list(analyser.references())
        hub_ok = any(tf.uses_transformers_js for tf in ts_files)
        for tf in ts_files:
            found.refs += list(tf.references(hub_ok))
            if tf.truncated:
                found.errors.append(CollectorError("syntax tree too large; analysed in part", file=tf.rel))
        found.refs = _implicit(inventory, analyser, ts_files, found.strings, found.refs)
        # local model files
        digests: dict[Path, str] = {}
        if model_paths:
            from gate.evidence.artifacts import analyse
            from gate.hashing import hash_files

            artifacts = [(path, analyse(path, rel, fmt)) for path, rel, fmt in model_paths]
            digests = hash_files([p for p, _ in artifacts])
        counts["model_files"] = len(artifacts)
        problems = _symlinks(inventory)

        unresolved = analyser.unresolved if analyser is not None else []
        truncated = analyser.truncated if analyser is not None else []
        resolver = None
        if inventory.settings.option("resolve_models"):
            from gate.collect.ai.resolve import HubResolver

            resolver = HubResolver()
        built = build(
            inventory,
            found.refs,
            artifacts,
            digests,
            problems,
            analyser.provider_uses if analyser is not None else {},
            [(tf.rel, tf.clients, tf.client_lines) for tf in ts_files],
            resolver,
        )
        if resolver is not None:
            found.errors += [CollectorError(e) for e in resolver.errors]
        if built:
            from gate.sbom.mlbom import extend

            inventory.sbom_extensions.append(extend)
        for p in problems:
            found.errors.append(CollectorError(p["problem"], file=p["file"]))
        for t in truncated:
            found.errors.append(
                CollectorError(
                    "value resolution stopped at its step limit (call-site fan-out); candidates may be missing",
                    file=t["file"],
                    line=t["line"],
                )
            )
        status: CollectorStatus = "incomplete" if found.errors else "ok"
        stats = {
            **counts,
            "references": len(found.refs),
            "components": len(built),
            "unresolved": unresolved[:50],
            "large_sources_skipped": skipped[:50],
            "resolution_truncated": truncated[:50],
        }
        return CollectorRun(name=self.name, status=status, errors=tuple(found.errors), stats=stats)


def _implicit(
    inventory: Inventory,
    analyser: PythonAnalyser | None,
    ts_files: list[TsFile],
    strings: dict[str, tuple[str, int]],
    refs: list[Reference],
) -> list[Reference]:
    """Library defaults a package applies on its own, triggered when it is installed and used. Returns
    ``refs`` with the implicit references added (and a configuration's override folded into them).
    ``analyser`` is None when the target has no Python source."""
    out: list[Reference] = list(refs)
    spec = knowledge()["implicit"]["mcp-server-qdrant"]
    pkg = spec["package"]["pypi"]
    imported = analyser is not None and spec["import"] in analyser.imported_roots
    where = next(
        (
            loc
            for s, loc in sorted(strings.items())
            if s == spec["command"] or s.endswith("/" + spec["command"])
        ),
        None,
    )
    if where is None and analyser is not None and imported:
        where = next(
            (
                (m.rel, 1)
                for m in analyser.by_rel.values()
                if spec["import"] in m.imports.values()
                or any(v.startswith(spec["import"] + ".") for v in m.imports.values())
            ),
            None,
        )
    configured = where is not None
    # its own source tree defines the settings class: the AST analysis already found the default there
    own_source = analyser is not None and any(
        m.dotted.startswith(spec["import"]) for m in analyser.modules.values()
    )
    # installed alone is not enough: it must be used (imported) or configured (launched by an MCP config)
    if (imported or configured) and not own_source:
        from gate.collect.ai.refs import fastembed_repo

        model = spec["model"]
        file, line = where or ("", 0)
        # the MCP configuration that launches it may set the variable: that value is what it loads
        override = next(
            (r for r in out if r.file == file and r.api == f"config:{spec['env']}" and r.source == "hub"),
            None,
        )
        if override is not None:
            out.remove(override)
            model, line = override.value, override.line
        entry = fastembed_repo(model) or {}
        out.append(
            Reference(
                kind=spec["kind"],
                source="hub",
                value=entry.get("repo", model),
                file=file,
                line=line,
                api=f"implicit:{pkg}",
                library=pkg,
                env=spec["env"],
                requested=model,
                extra={"implicit": pkg, **({"fastembed": entry} if entry else {})},
            )
        )
    return out


def _symlinks(inventory: Inventory) -> list[dict[str, str]]:
    """Symlinks (which the walk never follows) that point outside the target: reported, never read."""
    root = inventory.root.resolve()
    out: list[dict[str, str]] = []
    if not root.is_dir():
        return out
    include_tests = inventory.settings.include_tests
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        entries = [*filenames, *dirnames]
        dirnames[:] = [
            d
            for d in dirnames
            if d not in ALWAYS_SKIPPED_DIRS
            and not d.startswith(".")
            and (include_tests or d.lower() not in TEST_DIRS)
            and not is_excluded(f"{rel_dir}/{d}".lstrip("./"), inventory.settings.excludes)
        ]
        for name in entries:
            p = here / name
            if not p.is_symlink():
                continue
            rel = p.relative_to(root).as_posix()
            if not safeio.is_within(p, root):
                out.append(
                    {
                        "file": rel,
                        "problem": f"symlink points outside the target ({os.readlink(p)}); not read",
                    }
                )
    return sorted(out, key=lambda d: d["file"])
