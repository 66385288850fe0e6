"""Collection: everything the gate reads from the target, and the interface every collector implements.

Two kinds of collectors share one interface:

- *inventory* collectors (``gate.collect.*``) read lockfiles, manifests, source and model files and add
  projects, components and services to the :class:`Inventory`;
- *evidence* collectors (``gate.evidence.*``) run after them, read the finished inventory and add evidence:
  per-component annotations (vulnerabilities, provenance, pickle scans, ...) and top-level sections of the
  evidence document.

A collector returns a :class:`~gate.model.CollectorRun`. An exception that escapes it is turned into a
``failed`` run by the orchestrator (policy blocks on it), except :class:`~gate.errors.InputError`, which
means the user's input is unusable and stops the run with exit 2.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gate.config import GateConfig
from gate.model import (
    CollectorRun,
    Component,
    Lockfile,
    Manifest,
    Project,
    ServerIdentity,
    Service,
)
from gate.record import Record

# Directories never descended into when discovering projects and files.
ALWAYS_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "env",
        ".env",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist-packages",
        ".idea",
        ".vscode-test",
        ".next",
        ".turbo",
        ".cache",
    }
)
# Directories that hold tests, benchmarks, examples and fixtures of the target: scoped out unless
# ``--include-tests`` is given.
TEST_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "specs",
        "fixtures",
        "__fixtures__",
        "testdata",
        "benchmarks",
        "benchmark",
        "examples",
        "example",
        "e2e",
    }
)


@dataclass(frozen=True, repr=False)
class Settings(Record):
    """Everything a run was asked to do. ``options`` holds feature-specific options by name."""

    target: Path
    include_dev: bool = False
    include_tests: bool = False
    network: bool = False
    python_env: Path | None = None
    excludes: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    source_date_epoch: int | None = None
    config: GateConfig = field(default_factory=GateConfig)
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        value = self.options.get(name)
        return default if value is None else value


class Inventory:
    """The mutable builder that collectors fill in; the orchestrator freezes it into the evidence document."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.target
        self.projects: list[Project] = []
        self.components: list[Component] = []
        self.services: list[Service] = []
        self.server: ServerIdentity | None = None
        self.manifests: list[Manifest] = []
        self.lockfiles: list[Lockfile] = []
        self.runs: list[CollectorRun] = []
        # Top-level evidence sections added by evidence collectors, e.g. "vulnerabilities", "provenance", "ai".
        self.sections: dict[str, Any] = {}
        # Extra keys merged into ``input.components[]`` entries, by component ref (e.g. "vulnerabilities").
        self.annotations: dict[str, dict[str, Any]] = {}
        # Extra keys merged into ``input.mcp`` (e.g. "tools", "posture").
        self.mcp: dict[str, Any] = {}
        # Functions that amend the serialized CycloneDX JSON (sections the library does not model).
        self.sbom_extensions: list[Callable[[dict[str, Any], Inventory], None]] = []

    # -- helpers for collectors --------------------------------------------------------------------
    def rel(self, path: Path) -> str:
        """A path relative to the target root, POSIX style, as stored in evidence."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix() or "."
        except ValueError:
            return path.as_posix()

    def annotate(self, ref: str, key: str, value: Any) -> None:
        self.annotations.setdefault(ref, {})[key] = value

    def component(self, ref: str) -> Component | None:
        for c in self.components:
            if c.ref == ref:
                return c
        return None

    def walk(self, *, include_tests: bool | None = None) -> Iterator[Path]:
        """Files under the target, skipping VCS, dependency and virtualenv folders, the user's
        ``--exclude`` globs and (unless asked) test/benchmark/example folders. Never follows symlinks."""
        yield from walk_files(
            self.root,
            excludes=self.settings.excludes,
            include_tests=self.settings.include_tests if include_tests is None else include_tests,
        )


class Collector(Protocol):
    """A source of inventory or evidence. ``name`` appears in ``input.collectors[]``."""

    name: str

    def collect(self, inventory: Inventory) -> CollectorRun: ...


def walk_files(root: Path, *, excludes: tuple[str, ...] = (), include_tests: bool = False) -> Iterator[Path]:
    root = root.resolve()
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        keep = []
        for d in sorted(dirnames):
            if d in ALWAYS_SKIPPED_DIRS or (
                d.startswith(".") and d not in {".github", ".well-known", ".vscode", ".cursor"}
            ):
                continue
            if not include_tests and d.lower() in TEST_DIRS:
                continue
            rel = f"{rel_dir}/{d}" if rel_dir != "." else d
            if is_excluded(rel, excludes):
                continue
            if (here / d).is_symlink():
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            p = here / f
            rel = f"{rel_dir}/{f}" if rel_dir != "." else f
            if is_excluded(rel, excludes) or p.is_symlink():
                continue
            yield p


def is_excluded(rel: str, excludes: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(rel, g.rstrip("/") + "/*") for g in excludes)
