"""Evidence documents for policy tests: built like gate/document.py builds them, with hostile strings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gate.policy.engine import WorkerEngine, available_engines
from gate.policy.evaluate import prepare

TRICKY = [
    "plain",
    'quote " and \\ backslash',
    "new\nline\ttab",
    "ünïcödé ☃ 模型",
    "emoji 🧪 and \u202e bidi",
    "'single'",
]


def component(name: str, **kw: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "ref": f"pkg:pypi/{name}@1.0.0",
        "name": name,
        "version": "1.0.0",
        "type": "library",
        "ecosystem": "pypi",
        "purl": f"pkg:pypi/{name}@1.0.0",
        "direct": True,
        "scope": "required",
        "pinned": True,
        "hashes": {"sha256": ["ab" * 32]},
        "source": {"kind": "registry", "registry": "https://pypi.org/simple"},
        "locations": [{"file": "uv.lock", "line": 10}],
        "projects": ["pkg:pypi/server@0.1.0"],
        "dependencies": [],
        "licenses": [],
    }
    c.update(kw)
    return c


def document(components: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": "gate/input/v1",
        "gate": {"version": "0.1.0"},
        "generated": "2026-01-01T00:00:00Z",
        "target": {"name": "server", "kind": "directory"},
        "settings": {"include_dev": False, "include_tests": False, "network": False, "config": None},
        "mcp": {"server": None, "transports": []},
        "projects": [],
        "components": components if components is not None else [component("httpx")],
        "excluded": {"count": 0, "scopes": []},
        "services": [],
        "manifests": [
            {
                "path": "pyproject.toml",
                "kind": "pyproject",
                "project": "pkg:pypi/server@0.1.0",
                "lockfile": "uv.lock",
            }
        ],
        "lockfiles": [{"path": "uv.lock", "kind": "uv", "project": "pkg:pypi/server@0.1.0", "packages": 1}],
        "collectors": [{"name": "python", "status": "ok", "reason": None, "errors": [], "stats": {}}],
    }
    doc.update(kw)
    return copy.deepcopy(doc)


def corpus() -> dict[str, dict[str, Any]]:
    """Documents that together fire every bundled core/deps rule, with hostile strings everywhere."""
    docs: dict[str, dict[str, Any]] = {"clean": document()}
    for i, s in enumerate(TRICKY):
        comps = [
            component(f"ok{i}"),
            component(
                f"unpinned-{i}",
                version=f">={s}",
                pinned=False,
                ref=f"pkg:pypi/unpinned-{i}",
                locations=[{"file": f"req {s}.txt", "line": i + 1}],
            ),
            component(f"nohash-{i}", hashes={}, description=s),
            component(f"git-{i}", source={"kind": "git", "url": f"https://example.com/{s}.git"}, hashes={}),
            component(f"path-{i}", source={"kind": "path", "url": f"../{s}"}, hashes={}, locations=[]),
            component(f"dev-{i}", scope="dev", pinned=False),
            component(f"noversion-{i}", version=None, pinned=False, locations=[]),
        ]
        docs[f"tricky-{i}"] = document(
            comps,
            manifests=[
                {"path": f"sub/{s}/pyproject.toml", "kind": "pyproject", "project": s, "lockfile": None}
            ],
            collectors=[
                {
                    "name": "python",
                    "status": "failed",
                    "reason": None,
                    "errors": [{"message": f"cannot parse {s}", "file": f"{s}.lock", "line": 3}],
                    "stats": {},
                },
                {"name": f"node {s}", "status": "incomplete", "reason": s, "errors": [], "stats": {}},
                {"name": "ai", "status": "skipped", "reason": "not asked", "errors": [], "stats": {}},
            ],
        )
    docs["empty"] = document([], manifests=[], lockfiles=[], collectors=[])
    return docs


OWN_AREAS = ("gate/policies/core/", "gate/policies/deps/")


def own_rules_only(ps):
    """The bundled library restricted to the core and deps areas, so that these tests do not change when
    other areas add rules (those are covered by the whole-library tests)."""
    from gate.policy.evaluate import Catalog

    ps.modules = [
        m for m in ps.modules if m.name.startswith(OWN_AREAS) or not m.name.startswith("gate/policies/")
    ]
    return ps, Catalog.build(ps)


@pytest.fixture(scope="session")
def bundled():
    ps, _ = prepare(policies=[], data_files=[])
    return own_rules_only(ps)


@pytest.fixture(scope="session")
def own_rules():
    return own_rules_only


@pytest.fixture(scope="session")
def full_library():
    return prepare(policies=[], data_files=[])


@pytest.fixture(scope="session")
def regopy_engine() -> WorkerEngine:
    return WorkerEngine("regopy")


@pytest.fixture(scope="session")
def engines() -> list[str]:
    return available_engines()


@pytest.fixture(scope="session")
def make_component():
    return component


@pytest.fixture(scope="session")
def make_document():
    return document


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, dict[str, Any]]:
    return corpus()
