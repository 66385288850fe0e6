"""Hostile and broken Node lockfiles: a clear error naming the file, or a correct result, in bounded time
and memory; a path that leaves the target is never followed and makes the run incomplete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.collect import Inventory, Settings
from gate.collect.node import NodeCollector
from gate.errors import InputError
from gate.model import CollectorRun


def collect(target: Path, **kw: object) -> tuple[Inventory, CollectorRun]:
    inv = Inventory(Settings(target=target.resolve(), **kw))  # type: ignore[arg-type]
    return inv, NodeCollector().collect(inv)


def write_lock(folder: Path, packages: dict[str, object], name: str = "hostile") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    root = {"name": name, "version": "1.0.0", "dependencies": {}}
    for key in packages:
        if key.startswith("node_modules/") and key.count("node_modules/") == 1:
            root["dependencies"][key[len("node_modules/") :]] = "*"  # type: ignore[index]
    doc = {
        "name": name,
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root, **packages},
    }
    (folder / "package-lock.json").write_text(json.dumps(doc, indent=2))


def test_link_that_escapes_the_tree_is_flagged_not_followed(tmp_path: Path) -> None:
    write_lock(
        tmp_path / "proj",
        {
            "node_modules/evil": {"resolved": "../../../outside", "link": True},
            "../../../outside": {"name": "evil", "version": "1.0.0"},
        },
    )
    inv, run = collect(tmp_path / "proj")
    assert run.status == "incomplete"
    evil = next(c for c in inv.components if c.name == "evil")
    assert evil.extra["outside_target"] is True and evil.source.kind == "path"
    err = next(e for e in run.errors if "outside the target" in e.message)
    assert err.file == "package-lock.json" and err.line is not None


def test_resolved_file_url_outside_the_tree(tmp_path: Path) -> None:
    write_lock(
        tmp_path,
        {
            "node_modules/sneaky": {
                "version": "1.0.0",
                "resolved": "file:../../../../etc/sneaky.tgz",
                "integrity": "sha512-AAAA",
            },
            "node_modules/inside": {"version": "1.0.0", "resolved": "file:vendor/inside-1.0.0.tgz"},
        },
    )
    inv, run = collect(tmp_path)
    comps = {c.name: c for c in inv.components}
    assert comps["sneaky"].extra.get("outside_target") is True
    assert "outside_target" not in comps["inside"].extra and comps["inside"].source.kind == "path"
    assert run.status == "incomplete"
    assert any("sneaky" in e.message for e in run.errors)


def test_absolute_path_in_a_lockfile_is_an_input_error(tmp_path: Path) -> None:
    write_lock(tmp_path, {"/etc/passwd": {"version": "1.0.0"}})
    with pytest.raises(InputError, match="absolute") as e:
        collect(tmp_path)
    assert e.value.path == "package-lock.json"


def test_pnpm_link_outside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      evil:\n"
        "        specifier: link:../../elsewhere\n        version: link:../../elsewhere\n"
    )
    inv, run = collect(tmp_path)
    assert run.status == "incomplete"
    assert next(c for c in inv.components if c.name == "evil").extra["outside_target"] is True


def test_ten_thousand_packages(tmp_path: Path) -> None:
    n = 10_000
    packages: dict[str, object] = {}
    for i in range(n):
        entry: dict[str, object] = {
            "version": "1.0.0",
            "resolved": f"https://registry.npmjs.org/p{i}/-/p{i}-1.0.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
        }
        if i + 1 < n:
            entry["dependencies"] = {f"p{i + 1}": "1.0.0"}  # a 10,000-long chain: no recursion anywhere
        packages[f"node_modules/p{i}"] = entry
    doc = {
        "name": "big",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "packages": {"": {"name": "big", "version": "1.0.0", "dependencies": {"p0": "1.0.0"}}, **packages},
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(doc, indent=2))
    inv, run = collect(tmp_path)
    assert run.status == "ok"
    assert len(inv.components) == n and all(c.production for c in inv.components)
    assert sum(c.direct for c in inv.components) == 1
    last = next(c for c in inv.components if c.name == f"p{n - 1}")
    assert last.locations[0].line is not None and last.dependencies == ()


def test_ten_thousand_packages_pnpm(tmp_path: Path) -> None:
    n = 10_000
    lines = [
        "lockfileVersion: '9.0'",
        "",
        "importers:",
        "",
        "  .:",
        "    dependencies:",
        "      p0:",
        "        specifier: 1.0.0",
        "        version: 1.0.0",
        "",
        "packages:",
        "",
    ]
    for i in range(n):
        lines += [f"  p{i}@1.0.0:", "    resolution: {integrity: sha512-" + "A" * 86 + "==}", ""]
    lines += ["snapshots:", ""]
    for i in range(n):
        lines.append(f"  p{i}@1.0.0:" + (" {}" if i + 1 == n else ""))
        if i + 1 < n:
            lines += ["    dependencies:", f"      p{i + 1}: 1.0.0"]
        lines.append("")
    (tmp_path / "pnpm-lock.yaml").write_text("\n".join(lines))
    inv, run = collect(tmp_path)
    assert run.status == "ok"
    assert len(inv.components) == n and all(c.scope == "required" for c in inv.components)


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = ["lockfileVersion: '9.0'", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        bomb.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    bomb.append("importers: {'.': {dependencies: {x: *a9}}}")
    (tmp_path / "pnpm-lock.yaml").write_text("\n".join(bomb) + "\n")
    with pytest.raises(InputError, match="alias") as e:
        collect(tmp_path)
    assert e.value.path == "pnpm-lock.yaml"


def test_deeply_nested_lockfile(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text(
        '{"lockfileVersion": 3, "packages": ' + "[" * 10_000 + "]" * 10_000 + "}"
    )
    with pytest.raises(InputError, match="nested"):
        collect(tmp_path)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("package-lock.json", '{"lockfileVersion": 3, "packages": {"": {', "invalid JSON"),
        ("package-lock.json", "", "empty"),
        ("package-lock.json", '{"lockfileVersion": 7, "packages": {}}', "unsupported lockfileVersion"),
        ("package-lock.json", '["not", "an", "object"]', "object"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters: [1, 2]\n", "importers"),
        ("pnpm-lock.yaml", "lockfileVersion: '4.0'\n", "unsupported lockfileVersion"),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: {a: [\n", "invalid YAML"),
        ("yarn.lock", '# yarn lockfile v1\n\nleft-pad@^1.0.0:\n      version "1.3.0"\n', "line 4"),
        ("yarn.lock", '# yarn lockfile v1\n\nleft-pad@^1.0.0\n  version "1.3.0"\n', "line 3"),
        ("bun.lock", '{"lockfileVersion": 1, "workspaces": {"": {}}, "packages": {"x": 5}}', "array"),
        ("bun.lock", '{"lockfileVersion": 1, /* unterminated', "comment"),
    ],
)
def test_malformed_lockfiles_name_the_file(tmp_path: Path, name: str, text: str, match: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(InputError, match=match) as e:
        collect(tmp_path)
    assert e.value.path == name


def test_binary_lockfile(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(InputError, match="binary"):
        collect(tmp_path)


def test_bun_lockb_is_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "b", "dependencies": {"x": "1.0.0"}}')
    (tmp_path / "bun.lockb").write_bytes(b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x00\x01")
    _, run = collect(tmp_path)
    assert run.status == "incomplete"
    assert "bun.lockb" in run.errors[0].message


def test_out_of_date_lockfile_is_incomplete(tmp_path: Path) -> None:
    write_lock(tmp_path, {"node_modules/a": {"version": "1.0.0", "dependencies": {"missing": "^1"}}})
    inv, run = collect(tmp_path)
    assert run.status == "incomplete"
    assert "node_modules/a -> missing" in run.errors[0].message
    assert [c.name for c in inv.components] == ["a"]


def test_dependency_cycle(tmp_path: Path) -> None:
    write_lock(
        tmp_path,
        {
            "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "1"}},
            "node_modules/b": {"version": "1.0.0", "dependencies": {"a": "1"}},
        },
    )
    inv, run = collect(tmp_path)
    assert run.status == "ok"
    assert {c.ref: c.dependencies for c in inv.components} == {
        "pkg:npm/a@1.0.0": ("pkg:npm/b@1.0.0",),
        "pkg:npm/b@1.0.0": ("pkg:npm/a@1.0.0",),
    }


def test_cli_exit_code_2_and_one_line(tmp_path: Path) -> None:
    from gate.cli import cli

    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {"": {')
    result = CliRunner().invoke(cli, ["sbom", str(tmp_path), "-o", str(tmp_path / "bom.json")])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.startswith("gate: error")]
    assert len(lines) == 1 and "package-lock.json" in lines[0] and "Traceback" not in result.output


def test_node_modules_key_that_climbs_out(tmp_path: Path) -> None:
    write_lock(tmp_path, {"node_modules/a/../../../etc": {"version": "1.0.0"}})
    with pytest.raises(InputError, match="climbs out"):
        collect(tmp_path)
