"""uv.lock: the production set equals ``uv export --no-dev --frozen`` (expected lists recorded once with uv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.python import PythonCollector
from gate.model import Component

ASSETS = Path(__file__).parent / "assets"
FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "lockfiles"


def expected(name: str) -> set[tuple[str, str]]:
    out = set()
    for line in (ASSETS / f"uv-export-{name}.txt").read_text().splitlines():
        req = line.split(";")[0].strip()
        if "==" in req:
            n, v = req.split("==")
            out.add((n, v))
        elif " @ " in req:
            out.add((req.split(" @ ")[0], "*"))
    return out


def collect(target: Path, **kw: object) -> tuple[Inventory, list[Component]]:
    inv = Inventory(Settings(target=target, **kw))  # type: ignore[arg-type]
    run = PythonCollector().collect(inv)
    assert run.status == "ok", run.errors
    return inv, inv.components


def production(components: list[Component]) -> set[tuple[str, str]]:
    out = set()
    for c in components:
        if c.scope == "required":
            out.add((c.name, c.version if c.source.kind != "git" else "*"))
    return out


needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason="shared/fixtures is not beside the checkout"
)


@needs_fixtures
@pytest.mark.parametrize(
    ("folder", "name"),
    [("mcp-server-qdrant", "mcp-server-qdrant"), ("servers/src/fetch", "fetch"), ("servers/src/git", "git")],
)
def test_production_set_equals_uv_export(folder: str, name: str) -> None:
    _, comps = collect(FIXTURES / folder)
    assert production(comps) == expected(name)


@needs_fixtures
def test_qdrant_details() -> None:
    inv, comps = collect(FIXTURES / "mcp-server-qdrant")
    by = {(c.name, c.version): c for c in comps}
    # Two numpy versions, one per Python fork, both production.
    assert by[("numpy", "2.2.6")].scope == by[("numpy", "2.3.5")].scope == "required"
    assert by[("numpy", "2.2.6")].extra["markers"] == "python_full_version < '3.11'"
    # Dev-only tools are dev; every component carries sha256 hashes from sdist and wheels.
    dev = {c.name for c in comps if c.scope == "dev"}
    assert {"mypy", "ruff", "pytest", "ipdb", "isort", "pre-commit", "pyright"} <= dev
    assert all(c.hashes and all(h.alg == "sha256" and len(h.value) == 64 for h in c.hashes) for c in comps)
    fastmcp = by[("fastmcp", "2.7.0")]
    assert fastmcp.direct and fastmcp.pinned and fastmcp.purl == "pkg:pypi/fastmcp@2.7.0"
    assert fastmcp.locations[0].file == "uv.lock"
    lines = (FIXTURES / "mcp-server-qdrant" / "uv.lock").read_text().splitlines()
    assert lines[fastmcp.locations[0].line - 1] == "[[package]]"
    assert lines[fastmcp.locations[0].line] == 'name = "fastmcp"'
    assert "pkg:pypi/mcp@1.23.0" in fastmcp.dependencies
    assert not by[("mcp", "1.23.0")].direct
    # The project record.
    (project,) = inv.projects
    assert project.ref == "pkg:pypi/mcp-server-qdrant@0.8.1"
    assert project.entry_points == {"mcp-server-qdrant": "mcp_server_qdrant.main:main"}
    assert project.lockfiles == ("uv.lock",) and project.manifests == ("pyproject.toml",)
    assert "pkg:pypi/fastmcp@2.7.0" in project.direct
    assert inv.manifests[0].lockfile == "uv.lock"
    assert inv.lockfiles[0].packages == 111
    assert all(c.projects == (project.ref,) for c in comps)


def test_marker_contradictions_forks_extras_and_default_groups(tmp_path: Path) -> None:
    shutil.copy(ASSETS / "markers-uv.lock", tmp_path / "uv.lock")
    shutil.copy(ASSETS / "markers-pyproject.toml", tmp_path / "pyproject.toml")
    _, comps = collect(tmp_path)
    assert production(comps) == expected("markers")
    by = {(c.name, c.version): c for c in comps}
    # ggg needs win32 and linux at once; lll needs Python >= 3.12 and < 3.11: no environment installs them.
    assert by[("ggg", "1.0")].scope == "dev" and by[("lll", "1.0")].scope == "dev"
    assert by[("ddd", "1.0")].scope == "optional"  # the project's own extra
    assert by[("nnn", "1.0")].scope == "dev"  # an extra nobody activates
    assert by[("iii", "1.0")].scope == "required"  # activated by the hhh[x] edge
    assert by[("eee", "1.0")].scope == "dev" and by[("eee", "1.0")].extra["groups"] == ["dev"]
    assert by[("fff", "1.0")].scope == "required"  # a non-dev default group, as uv export keeps it
    kkk = by[("kkk", "0.3.0")]
    assert kkk.source.kind == "git" and kkk.pinned
    assert kkk.purl is not None and kkk.purl.startswith("pkg:pypi/kkk@0.3.0?vcs_url=")


def test_unpinned_git_and_path_outside_tree(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text(
        """version = 1
requires-python = ">=3.10"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "floating" }, { name = "sibling" }, { name = "inner" }]

[[package]]
name = "floating"
version = "0.1.0"
source = { git = "https://github.com/example/floating?branch=main" }

[[package]]
name = "sibling"
version = "0.2.0"
source = { directory = "../sibling" }

[[package]]
name = "inner"
version = "0.3.0"
source = { editable = "packages/inner" }
"""
    )
    _, comps = collect(tmp_path)
    by = {c.name: c for c in comps}
    assert not by["floating"].pinned and by["floating"].source.kind == "git"
    assert not by["sibling"].pinned and by["sibling"].source.kind == "path"
    assert by["inner"].pinned and by["inner"].source.url == "packages/inner"
    assert all(c.direct and c.scope == "required" for c in comps)
    assert "app" not in by


def test_project_filter_and_excludes(tmp_path: Path) -> None:
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "requirements.txt").write_text(f"pkg-{sub}==1.0\n")
    _, comps = collect(tmp_path, projects=("a",))
    assert {c.name for c in comps} == {"pkg-a"}
    inv = Inventory(Settings(target=tmp_path, excludes=("b",)))
    PythonCollector().collect(inv)
    assert {c.name for c in inv.components} == {"pkg-a"}


def test_uv_workspace_members_are_locked_by_the_root(tmp_path: Path) -> None:
    """A workspace written by ``uv lock`` (0.13.8): members share the root's uv.lock."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "ws-root"\nversion = "0.1.0"\ndependencies = ["ws-core"]\n\n'
        '[tool.uv.sources]\nws-core = { workspace = true }\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    )
    for member in ("core", "extra"):
        (tmp_path / "packages" / member).mkdir(parents=True)
        (tmp_path / "packages" / member / "pyproject.toml").write_text(
            f'[project]\nname = "ws-{member}"\nversion = "0.2.0"\ndependencies = []\n'
        )
    (tmp_path / "uv.lock").write_text(
        """version = 1
revision = 5
requires-python = ">=3.10"

[manifest]
members = [
    "ws-core",
    "ws-extra",
    "ws-root",
]

[[package]]
name = "ws-core"
version = "0.2.0"
source = { editable = "packages/core" }

[[package]]
name = "ws-extra"
version = "0.2.0"
source = { editable = "packages/extra" }

[[package]]
name = "ws-root"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "ws-core" },
]

[package.metadata]
requires-dist = [{ name = "ws-core", editable = "packages/core" }]
"""
    )
    inv, comps = collect(tmp_path)
    # uv export --no-dev --frozen: "-e ." and "-e ./packages/core".
    assert {c.name for c in comps if c.scope == "required"} == {"ws-core"}
    extra = next(c for c in comps if c.name == "ws-extra")
    assert extra.scope == "dev" and extra.extra["reachable"] is False
    projects = {p.path: p for p in inv.projects}
    assert projects["packages/core"].parent == projects["."].ref
    assert projects["packages/core"].lockfiles == ("uv.lock",)
    assert all(m.lockfile == "uv.lock" for m in inv.manifests)


def test_lines_without_table_headers(tmp_path: Path) -> None:
    """Entries written inline (no ``[[package]]`` header) are located by their ``name = "..."`` line."""
    (tmp_path / "uv.lock").write_text(
        'version = 1\npackage = [\n  { name = "app", version = "0.1.0", source = { editable = "." },'
        ' dependencies = [{ name = "idna" }] },\n'
        '  { name = "idna", version = "3.10", source = { registry = "https://pypi.org/simple" } },\n]\n'
    )
    _, comps = collect(tmp_path)
    (idna,) = comps
    assert idna.locations[0].line == 4 and idna.scope == "required"


@needs_fixtures
def test_target_is_the_lockfile_itself() -> None:
    """``gate sbom path/to/uv.lock``: paths stay relative, the project is named by the lock's root package."""
    inv, comps = collect(FIXTURES / "mcp-server-qdrant" / "uv.lock")
    (project,) = inv.projects
    assert (project.ref, project.path, project.lockfiles) == (
        "pkg:pypi/mcp-server-qdrant@0.8.1",
        ".",
        ("uv.lock",),
    )
    assert {c.locations[0].file for c in comps} == {"uv.lock"}
    assert production(comps) == expected("mcp-server-qdrant")
