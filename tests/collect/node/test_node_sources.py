"""Sources, integrity and registries: git dependencies, registry mirrors, SRI strings, .npmrc."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector
from gate.collect.node.common import integrity_hashes, source_for
from gate.model import Hash

SHA = "0123456789abcdef0123456789abcdef01234567"


def collect(target: Path) -> Inventory:
    inv = Inventory(Settings(target=target.resolve()))
    run = NodeCollector().collect(inv)
    assert run.status == "ok", run.errors
    return inv


def test_integrity_strings() -> None:
    data = b"tarball"
    sri = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    sri1 = "sha1-" + base64.b64encode(hashlib.sha1(data).digest()).decode()
    assert integrity_hashes(f"{sri} {sri1}") == (
        Hash("sha1", hashlib.sha1(data).hexdigest()),
        Hash("sha512", hashlib.sha512(data).hexdigest()),
    )
    assert integrity_hashes("md5-AAAA") == ()
    assert integrity_hashes("sha512-not!base64") == ()
    assert integrity_hashes("sha512-AAAA") == ()  # wrong length for the algorithm
    assert integrity_hashes(None) == ()


def test_source_kinds() -> None:
    assert (
        source_for("@s/p", "https://registry.npmjs.org/@s/p/-/p-1.0.0.tgz").registry
        == "https://registry.npmjs.org"
    )
    mirror = source_for("@s/p", "https://art.example/api/npm/npm-remote/@s/p/-/p-1.0.0.tgz")
    assert (mirror.kind, mirror.registry) == ("registry", "https://art.example/api/npm/npm-remote")
    assert source_for("p", "https://art.example/npm/@s%2fp/-/p.tgz").kind == "url"
    assert source_for("p", f"git+ssh://git@github.com/acme/p.git#{SHA}").kind == "git"
    assert source_for("p", f"https://codeload.github.com/acme/p/tar.gz/{SHA}").kind == "git"
    assert source_for("p", "https://files.example/p-1.0.0.tgz").kind == "url"
    assert source_for("p", "file:../p").kind == "path"
    assert source_for("p", None, "https://registry.npmjs.org/").registry == "https://registry.npmjs.org"


def test_npm_git_dependency_and_mirror(tmp_path: Path) -> None:
    doc = {
        "name": "app",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "github:acme/lib", "m": "^1"}},
            "node_modules/lib": {
                "version": "2.0.0",
                "resolved": f"git+ssh://git@github.com/acme/lib.git#{SHA}",
            },
            "node_modules/m": {
                "version": "1.0.0",
                "resolved": "https://npm.internal.example/repo/m/-/m-1.0.0.tgz",
                "integrity": "sha512-" + "A" * 86 + "==",
            },
        },
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(doc, indent=2))
    comps = {c.name: c for c in collect(tmp_path).components}
    lib = comps["lib"]
    assert lib.source.kind == "git" and lib.pinned
    assert lib.purl == f"pkg:npm/lib@2.0.0?vcs_url=git%2Bssh://git%40github.com/acme/lib.git%23{SHA}"
    assert lib.extra["integrity_missing"] is True
    assert comps["m"].source.registry == "https://npm.internal.example/repo"


def test_pnpm_git_and_tarball_resolutions(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(f"""lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      lib:
        specifier: github:acme/lib
        version: https://codeload.github.com/acme/lib/tar.gz/{SHA}
      other:
        specifier: git+https://git.example/other.git#main
        version: git+https://git.example/other.git#{SHA}
      tb:
        specifier: https://files.example/tb-1.0.0.tgz
        version: '@files.example/tb-1.0.0.tgz'

packages:

  lib@https://codeload.github.com/acme/lib/tar.gz/{SHA}:
    resolution: {{tarball: https://codeload.github.com/acme/lib/tar.gz/{SHA}}}
    version: 2.0.0

  other@git+https://git.example/other.git#{SHA}:
    resolution: {{commit: {SHA}, repo: https://git.example/other.git, type: git}}
    version: 3.0.0

  tb@https://files.example/tb-1.0.0.tgz:
    resolution: {{tarball: https://files.example/tb-1.0.0.tgz}}
    version: 1.0.0

snapshots:

  lib@https://codeload.github.com/acme/lib/tar.gz/{SHA}: {{}}

  other@git+https://git.example/other.git#{SHA}: {{}}

  tb@https://files.example/tb-1.0.0.tgz: {{}}
""")
    inv = Inventory(Settings(target=tmp_path))
    run = NodeCollector().collect(inv)
    comps = {c.name: c for c in inv.components}
    assert comps["lib"].source.kind == "git" and comps["lib"].version == "2.0.0" and comps["lib"].pinned
    assert comps["other"].source.url == f"https://git.example/other.git#{SHA}" and comps["other"].pinned
    assert comps["tb"].source.kind == "url" and comps["tb"].version == "1.0.0"
    # The importer's tarball reference uses pnpm's '@host/path' spelling, which is not a lockfile key.
    assert run.status == "incomplete" and "tb" in run.errors[0].message


def test_npmrc_registry_for_pnpm(tmp_path: Path) -> None:
    (tmp_path / ".npmrc").write_text("registry=https://npm.corp.example/\n")
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: 1.0.0\n"
        "        version: 1.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-"
        + "A" * 86
        + "==}\n\nsnapshots:\n\n  a@1.0.0: {}\n"
    )
    (comp,) = collect(tmp_path).components
    assert comp.source.registry == "https://npm.corp.example"
    assert comp.locations[0].line == 13


def test_yarn_classic_sha1_fragment(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "y", "dependencies": {"a": "^1.0.0"}}')
    (tmp_path / "yarn.lock").write_text(
        '# yarn lockfile v1\n\n\na@^1.0.0:\n  version "1.0.1"\n'
        f'  resolved "https://registry.yarnpkg.com/a/-/a-1.0.1.tgz#{SHA}"\n'
    )
    (comp,) = collect(tmp_path).components
    assert comp.hashes == (Hash("sha1", SHA),)
    assert comp.source.registry == "https://registry.yarnpkg.com"
