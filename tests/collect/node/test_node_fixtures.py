"""The Node collector on real MCP server lockfiles from ``shared/fixtures/lockfiles``: the production set
must equal what the package manager itself installs (``assets/oracle/*.json`` were written by
``benchmarks/compare_cdxgen_node.py --write-oracle``: ``npm ci --omit=dev --dry-run`` and
``pnpm list --lockfile-only --prod -r``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "lockfiles"
ORACLE = Path(__file__).parent / "assets" / "oracle"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")


def inventory(name: str, **kw: object) -> Inventory:
    inv = Inventory(Settings(target=FIXTURES / name, **kw))  # type: ignore[arg-type]
    run = NodeCollector().collect(inv)
    assert run.status == "ok", run.errors
    return inv


@pytest.mark.parametrize("name", ["servers", "pinecone-mcp", "claude-context"])
def test_production_set_equals_the_package_manager(name: str) -> None:
    expected = set(json.loads((ORACLE / f"{name}.json").read_text())["production"])
    inv = inventory(name, include_tests=True)
    assert {f"{c.name}@{c.version}" for c in inv.components if c.production} == expected


def test_servers_workspaces() -> None:
    inv = inventory("servers")
    projects = {p.path: p for p in inv.projects}
    assert set(projects) == {".", "src/everything", "src/filesystem", "src/memory", "src/sequentialthinking"}
    root = projects["."]
    assert root.ref == "pkg:npm/%40modelcontextprotocol/servers@0.6.2"
    assert all(p.parent == root.ref for path, p in projects.items() if path != ".")
    # The root's production dependencies are its workspaces (links), not registry packages.
    assert projects["src/everything"].ref in root.direct
    assert not any(c.name.startswith("@modelcontextprotocol/server-") for c in inv.components)
    sdk = [c for c in inv.components if c.name == "@modelcontextprotocol/sdk"]
    assert len(sdk) == 1 and sdk[0].production and sdk[0].hashes[0].alg == "sha512"
    assert len(sdk[0].projects) == 5  # each workspace, and the root through them
    # Workspaces' own dev dependencies stay out of production (vitest is a devDependency of each).
    assert all(not c.production for c in inv.components if c.name == "vitest")


def test_claude_context_pnpm_v9() -> None:
    inv = inventory("claude-context")
    # Peer-suffixed snapshots of one package are one component.
    eslint_plugin = [c for c in inv.components if c.name == "@typescript-eslint/eslint-plugin"]
    assert len(eslint_plugin) == 1 and eslint_plugin[0].scope == "dev"
    assert inv.lockfiles[0].kind == "pnpm-lock" and inv.lockfiles[0].packages > 990
    # examples/ is a test-and-example folder: skipped by default, reported.
    paths = {p.path for p in inv.projects}
    assert "examples/basic-usage" not in paths and "packages/core" in paths
    root = next(p for p in inv.projects if p.path == ".")
    assert root.name == "claude-context"
    assert all(c.locations[0].line for c in inv.components)


def test_mixed_repository_nests_python_projects_under_the_npm_root() -> None:
    from gate.model import Project

    inv = Inventory(Settings(target=FIXTURES / "servers"))
    inv.projects.append(
        Project(
            ref="pkg:pypi/mcp-server-git@1",
            name="mcp-server-git",
            version="1",
            ecosystem="pypi",
            path="src/git",
        )
    )
    NodeCollector().collect(inv)
    py = next(p for p in inv.projects if p.ecosystem == "pypi")
    assert py.parent == "pkg:npm/%40modelcontextprotocol/servers@0.6.2"
