"""An installed node_modules tree: npm's hidden lockfile, or package.json files walked the way Node
resolves them (nested copies, scopes, pnpm's symlinked store), never leaving the tree."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector
from gate.model import CollectorRun

ASSETS = Path(__file__).parent / "assets"


def pkg(folder: Path, name: str, version: str, **fields: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": name, "version": version, **fields}))
    return folder


def collect(target: Path, **options: object) -> tuple[Inventory, CollectorRun]:
    inv = Inventory(Settings(target=target.resolve(), options=options))
    return inv, NodeCollector().collect(inv)


def npm_layout(root: Path) -> None:
    (root / "package.json").write_text(
        json.dumps(
            {
                "name": "app",
                "version": "1.0.0",
                "dependencies": {"debug": "^4", "@scope/util": "^1"},
                "devDependencies": {"ms": "2.0.0"},
            }
        )
    )
    nm = root / "node_modules"
    pkg(nm / "debug", "debug", "4.3.4", dependencies={"ms": "2.1.2"})
    pkg(nm / "debug" / "node_modules" / "ms", "ms", "2.1.2")
    pkg(nm / "ms", "ms", "2.0.0")
    pkg(
        nm / "@scope" / "util",
        "@scope/util",
        "1.0.0",
        scripts={"postinstall": "node x.js"},
        dependencies={"left-pad": "1"},
    )
    pkg(
        nm / "left-pad",
        "left-pad",
        "1.3.0",
        _resolved="https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
        _integrity="sha512-" + "A" * 86 + "==",
    )
    pkg(nm / "stray", "stray", "0.0.1")


def test_walked_tree_with_the_option(tmp_path: Path) -> None:
    npm_layout(tmp_path)
    inv, run = collect(tmp_path, node_modules=str(tmp_path / "node_modules"))
    assert run.status == "ok", run.errors
    comps = {f"{c.name}@{c.version}": c for c in inv.components if c.extra.get("installed")}
    assert set(comps) == {
        "debug@4.3.4",
        "ms@2.1.2",
        "ms@2.0.0",
        "@scope/util@1.0.0",
        "left-pad@1.3.0",
        "stray@0.0.1",
    }
    assert comps["debug@4.3.4"].dependencies == ("pkg:npm/ms@2.1.2",)  # the nested copy, as Node resolves it
    assert comps["ms@2.0.0"].scope == "dev"
    assert comps["@scope/util@1.0.0"].extra["install_script"] is True and comps["@scope/util@1.0.0"].direct
    assert (
        comps["left-pad@1.3.0"].hashes
        and comps["left-pad@1.3.0"].source.registry == "https://registry.npmjs.org"
    )
    assert comps["stray@0.0.1"].extra.get("extraneous") is True
    assert comps["debug@4.3.4"].locations[0].file == "node_modules"


def test_target_that_is_a_node_modules_folder(tmp_path: Path) -> None:
    npm_layout(tmp_path)
    inv, run = collect(tmp_path / "node_modules")
    assert run.status == "ok"
    assert {c.name for c in inv.components} >= {"debug", "ms", "@scope/util", "left-pad"}


def test_hidden_lockfile_is_preferred(tmp_path: Path) -> None:
    shutil.copy(ASSETS / "npm-v3" / "package.json", tmp_path / "package.json")
    lock = json.loads((ASSETS / "npm-v3" / "package-lock.json").read_text())
    del lock["packages"][""]
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps(lock, indent=2))
    inv, run = collect(tmp_path, node_modules=str(tmp_path))
    assert run.status == "ok", run.errors
    assert inv.lockfiles[0].path == "node_modules/.package-lock.json" and inv.lockfiles[0].kind == "installed"
    assert {f"{c.name}@{c.version}" for c in inv.components if c.production} == {
        "debug@4.3.4",
        "ms@2.1.2",
        "string-width@4.2.3",
        "strip-ansi@6.0.1",
        "ansi-regex@5.0.1",
        "emoji-regex@8.0.0",
        "is-fullwidth-code-point@3.0.0",
        "is-number@7.0.0",
    }


def test_pnpm_store_symlinks(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"a": "1"}}))
    store = tmp_path / "node_modules" / ".pnpm"
    a = pkg(store / "a@1.0.0" / "node_modules" / "a", "a", "1.0.0", dependencies={"b": "2"})
    b = pkg(store / "b@2.0.0" / "node_modules" / "b", "b", "2.0.0")
    os.symlink(os.path.relpath(b, a.parent), a.parent / "b")  # a's sibling link to b
    os.symlink(os.path.relpath(a, tmp_path / "node_modules"), tmp_path / "node_modules" / "a")
    inv, run = collect(tmp_path, node_modules=str(tmp_path / "node_modules"))
    assert run.status == "ok", run.errors
    comps = {c.name: c for c in inv.components}
    assert set(comps) == {"a", "b"} and comps["a"].dependencies == ("pkg:npm/b@2.0.0",)
    assert comps["b"].scope == "required"


def test_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    outside = pkg(tmp_path / "outside" / "evil", "evil", "6.6.6")
    proj = tmp_path / "proj"
    (proj / "node_modules").mkdir(parents=True)
    (proj / "package.json").write_text(json.dumps({"name": "app", "dependencies": {"evil": "*"}}))
    os.symlink(outside, proj / "node_modules" / "evil")
    inv, run = collect(proj, node_modules=str(proj / "node_modules"))
    assert run.status == "incomplete"
    assert any("outside the tree" in e.message for e in run.errors)
    assert not any(c.name == "evil" for c in inv.components)


def test_installed_tree_beside_its_lockfile_is_one_project(tmp_path: Path) -> None:
    npm_layout(tmp_path)
    shutil.copy(ASSETS / "npm-v3" / "package-lock.json", tmp_path / "package-lock.json")
    inv, _ = collect(tmp_path, node_modules=str(tmp_path))
    assert len(inv.projects) == 1
    project = inv.projects[0].ref
    installed = [c for c in inv.components if c.extra.get("installed")]
    assert installed and all(c.projects == (project,) for c in installed if c.projects)
    assert {lf.kind for lf in inv.lockfiles} == {"package-lock", "installed"}


def test_installed_tree_outside_the_target_has_no_absolute_paths(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    npm_layout(tmp_path / "elsewhere")
    (tmp_path / "target").mkdir()
    inv, run = collect(tmp_path / "target", node_modules=str(tmp_path / "elsewhere" / "node_modules"))
    assert run.status == "ok"
    files = {loc.file for c in inv.components for loc in c.locations} | {lf.path for lf in inv.lockfiles}
    assert files == {"node_modules"}
    assert [m.path for m in inv.manifests] == ["package.json"] and inv.projects[0].manifests == (
        "package.json",
    )
    assert not any(str(tmp_path) in json.dumps(c.to_json()) for c in inv.components)
