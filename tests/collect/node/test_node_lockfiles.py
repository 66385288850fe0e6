"""Node lockfile readers on small real lockfiles written by npm 11 (v1, v2, v3), pnpm 8 and 10 (v6, v9),
yarn 1.22 and yarn 4 (berry), and a bun.lock in bun's text format, for the same two projects:

- ``demo-single``: ``debug@4.3.4`` (which nests ``ms@2.1.2``), an ``npm:`` alias
  ``string-width-cjs -> string-width@4.2.3``, an optional ``is-number@7.0.0`` and a dev ``ms@2.0.0``;
- ``demo-ws``: workspaces ``packages/a`` (``core-js``, which has an install script; dev ``ms@2.1.3``) and
  ``packages/b`` (depends on ``@demo/a`` and ``is-number@7.0.0``), root dev ``is-odd@3.0.1`` -> ``is-number@6``.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector
from gate.model import Component

ASSETS = Path(__file__).parent / "assets"
SINGLE = ["npm-v1", "npm-v2", "npm-v3", "pnpm-v6", "pnpm-v9", "yarn-v1", "yarn-berry", "bun"]
WORKSPACES = ["npm-ws", "pnpm-ws-v6", "pnpm-ws-v9", "yarn-ws-v1", "yarn-berry-ws", "bun-ws"]
LOCKFILE = {"npm": "package-lock.json", "pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock", "bun": "bun.lock"}

SINGLE_PRODUCTION = {
    "debug@4.3.4",
    "ms@2.1.2",
    "string-width@4.2.3",
    "strip-ansi@6.0.1",
    "ansi-regex@5.0.1",
    "emoji-regex@8.0.0",
    "is-fullwidth-code-point@3.0.0",
    "is-number@7.0.0",
}
DEBUG_SHA512 = base64.b64decode(
    "PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ=="
).hex()


def collect(target: Path, **kw: object) -> tuple[Inventory, object]:
    inv = Inventory(Settings(target=target.resolve(), **kw))  # type: ignore[arg-type]
    run = NodeCollector().collect(inv)
    return inv, run


def by_id(inv: Inventory) -> dict[str, Component]:
    return {f"{c.name}@{c.version}": c for c in inv.components}


def prod(inv: Inventory) -> set[str]:
    return {f"{c.name}@{c.version}" for c in inv.components if c.production}


@pytest.mark.parametrize("case", SINGLE)
def test_single_project_production_set(case: str) -> None:
    inv, run = collect(ASSETS / case)
    assert run.status == "ok", run.errors
    assert prod(inv) == SINGLE_PRODUCTION
    comps = by_id(inv)
    assert comps["ms@2.0.0"].scope == "dev"
    assert comps["is-number@7.0.0"].scope == "optional"
    assert comps["debug@4.3.4"].scope == "required" and comps["debug@4.3.4"].direct
    assert not comps["ms@2.1.2"].direct
    assert comps["debug@4.3.4"].dependencies == ("pkg:npm/ms@2.1.2",)
    assert comps["debug@4.3.4"].purl == "pkg:npm/debug@4.3.4"
    # The alias is installed under its own name but is the real package.
    sw = comps["string-width@4.2.3"]
    assert sw.extra["alias"] == "string-width-cjs" and sw.direct
    assert sw.purl == "pkg:npm/string-width@4.2.3"
    assert len(inv.projects) == 1 and inv.projects[0].name == "demo-single"
    assert set(inv.projects[0].direct) >= {"pkg:npm/debug@4.3.4", "pkg:npm/string-width@4.2.3"}


@pytest.mark.parametrize("case", SINGLE)
def test_single_project_evidence(case: str) -> None:
    inv, _ = collect(ASSETS / case)
    comps = by_id(inv)
    debug = comps["debug@4.3.4"]
    if case != "yarn-berry":  # berry's checksum is a digest of yarn's cache zip, not of the tarball
        assert any(h.alg == "sha512" and h.value == DEBUG_SHA512 for h in debug.hashes)
    else:
        assert debug.extra["yarn_checksum"].startswith("10c0/")
    assert debug.source.kind == "registry"
    assert debug.source.registry in ("https://registry.npmjs.org", "https://registry.yarnpkg.com")
    # Each component points at its lockfile entry, and the line there names the package.
    lockfile = inv.lockfiles[0].path
    lines = (ASSETS / case / lockfile).read_text().splitlines()
    for c in inv.components:
        assert c.locations and c.locations[0].file == lockfile
        line = c.locations[0].line
        assert line is not None, c.ref
        assert c.name in lines[line - 1] or (c.extra.get("alias") or "@@") in lines[line - 1], (c.ref, line)
    assert inv.lockfiles[0].packages == 9


@pytest.mark.parametrize("case", WORKSPACES)
def test_workspaces(case: str) -> None:
    inv, run = collect(ASSETS / case)
    assert run.status == "ok", run.errors
    assert prod(inv) == {"core-js@3.37.1", "is-number@7.0.0"}
    dev = {f"{c.name}@{c.version}" for c in inv.components if not c.production}
    assert dev == {"ms@2.1.3", "is-odd@3.0.1", "is-number@6.0.0"}
    projects = {p.path: p for p in inv.projects}
    assert set(projects) == {".", "packages/a", "packages/b"}
    root = projects["."]
    assert root.name == "demo-ws" and root.parent is None
    assert projects["packages/a"].parent == root.ref and projects["packages/b"].parent == root.ref
    assert projects["packages/a"].name == "@demo/a"
    assert projects["packages/a"].ref == "pkg:npm/%40demo/a@1.0.0"
    # b uses a (a workspace): a's production packages are b's too.
    assert projects["packages/a"].ref in projects["packages/b"].direct
    core = by_id(inv)["core-js@3.37.1"]
    assert set(core.projects) == {projects["packages/a"].ref, projects["packages/b"].ref}
    assert projects["packages/b"].extra["components_count"]["production"] == 2
    assert {m.path for m in inv.manifests} == {
        "package.json",
        "packages/a/package.json",
        "packages/b/package.json",
    }
    if case == "npm-ws" or case == "pnpm-ws-v6":
        assert core.extra.get("install_script") is True  # hasInstallScript / requiresBuild


def test_project_option_narrows_to_one_workspace() -> None:
    inv, run = collect(ASSETS / "pnpm-ws-v9", projects=("packages/b",))
    assert run.status == "ok"
    assert [p.path for p in inv.projects] == ["packages/b"]
    assert prod(inv) == {"core-js@3.37.1", "is-number@7.0.0"}
    assert {c.name for c in inv.components} == {"core-js", "is-number"}


def test_exclude_drops_a_workspace() -> None:
    inv, _ = collect(ASSETS / "npm-ws", excludes=("packages/b",))
    assert {p.path for p in inv.projects} == {".", "packages/a"}
    assert prod(inv) == {"core-js@3.37.1"}


def test_unlocked_manifest_is_a_project_with_unpinned_components(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{"name": "loose", "version": "1.0.0",\n "dependencies": {\n  "express": "^4.0.0",\n'
        '  "left-pad": "1.3.0"\n },\n "devDependencies": {\n  "jest": "29"\n }\n}\n'
    )
    inv, run = collect(tmp_path)
    assert run.status == "ok"
    assert inv.manifests[0].lockfile is None
    comps = {c.name: c for c in inv.components}
    assert not comps["express"].pinned and comps["express"].version is None
    assert comps["express"].extra["declared"] == "^4.0.0"
    assert comps["left-pad"].version == "1.3.0" and not comps["left-pad"].pinned
    assert comps["jest"].scope == "dev"
    assert comps["express"].locations[0].line == 3


def test_marker_package_json_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "package.json").write_text('{"type": "module"}')
    inv, run = collect(tmp_path)
    assert run.status == "skipped" and not inv.projects


def test_nested_projects_and_several_lockfiles(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ASSETS / "npm-v3", tmp_path, dirs_exist_ok=True)
    shutil.copytree(ASSETS / "pnpm-ws-v9", tmp_path / "servers" / "ws")
    inv, run = collect(tmp_path)
    assert run.status == "ok" and run.stats["lockfiles"] == 2
    by_path = {p.path: p for p in inv.projects}
    assert by_path["servers/ws"].parent == by_path["."].ref
    assert by_path["servers/ws/packages/a"].parent == by_path["servers/ws"].ref
    assert inv.lockfiles[1].path == "servers/ws/pnpm-lock.yaml"


def test_several_lockfiles_in_one_folder_pick_the_declared_manager(tmp_path: Path) -> None:
    import json
    import shutil

    shutil.copytree(ASSETS / "npm-v3", tmp_path, dirs_exist_ok=True)
    shutil.copy(ASSETS / "yarn-v1" / "yarn.lock", tmp_path / "yarn.lock")
    man = json.loads((tmp_path / "package.json").read_text())
    man["packageManager"] = "yarn@1.22.22"
    (tmp_path / "package.json").write_text(json.dumps(man))
    inv, run = collect(tmp_path)
    assert [lf.kind for lf in inv.lockfiles] == ["yarn-classic"]
    assert run.stats["ignored_lockfiles"] == ["package-lock.json"]


def test_tests_and_examples_workspaces_are_skipped_unless_asked(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ASSETS / "npm-ws", tmp_path, dirs_exist_ok=True)
    (tmp_path / "examples").mkdir()
    shutil.move(tmp_path / "packages" / "b", tmp_path / "examples" / "b")
    lock = (tmp_path / "package-lock.json").read_text().replace("packages/b", "examples/b")
    (tmp_path / "package-lock.json").write_text(lock.replace('"packages/*"', '"packages/*", "examples/*"'))
    inv, _ = collect(tmp_path)
    assert {p.path for p in inv.projects} == {".", "packages/a"}
    inv, _ = collect(tmp_path, include_tests=True)
    assert {p.path for p in inv.projects} == {".", "packages/a", "examples/b"}


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("debug", "4.3.4"),
        ("@types/node", "20.19.0"),
        ("a", "1.0.0+build.5"),
        ("Upper", "1.0.0"),
        ("@s/x", "1.0.0-rc.1"),
        ("x", None),
        ("weird name", "1"),
        ("@scope/n.a_m~e", "0.0.0-0"),
    ],
)
def test_fast_purl_matches_the_reference_encoder(name: str, version: str | None) -> None:
    from gate.collect.node.graph import fast_npm_purl
    from gate.purl import npm_purl

    assert fast_npm_purl(name, version) == npm_purl(name, version)


@pytest.mark.parametrize(
    "case", ["sources-npm", "sources-pnpm-v9", "sources-pnpm-v5", "sources-yarn-v1", "sources-yarn-berry"]
)
def test_tarball_url_and_local_folder_dependencies(case: str) -> None:
    """``left-pad`` from a tarball URL, ``local-pkg`` from ``file:./vendor/local-pkg`` (which depends on
    is-number), ``typescript`` (yarn berry adds a ``patch:`` entry for it)."""
    inv, run = collect(ASSETS / case)
    assert run.status == "ok", run.errors
    comps = {c.name: c for c in inv.components}
    assert set(comps) == {"left-pad", "local-pkg", "is-number", "typescript"}
    assert all(c.production for c in comps.values())
    local = comps["local-pkg"]
    assert local.source.kind == "path" and local.purl is None and local.ref.startswith("gate:")
    assert local.version == "0.1.0" and local.pinned and "outside_target" not in local.extra
    assert local.dependencies == ("pkg:npm/is-number@7.0.0",)
    assert comps["typescript"].purl == "pkg:npm/typescript@5.4.5"
    # The local folder's package.json belongs to the lockfile, not to a project without a lock.
    assert len(inv.projects) == 1 and [m.lockfile for m in inv.manifests] == [inv.lockfiles[0].path]


def test_unlocked_workspace_dependency_is_not_a_registry_package(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "m", "dependencies": {"@me/lib": "workspace:*"}}')
    inv, _ = collect(tmp_path)
    (comp,) = inv.components
    assert comp.purl is None and comp.ref.startswith("gate:") and comp.source.kind == "path"
