"""The lock: digests, field-level diff, renames, saved list JSON, hostile inputs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from gate.collect.mcp.tools.lock import (
    LOCK_NAME,
    build_lock,
    diff_surface,
    lock_status,
    read_lock,
    write_lock,
)
from gate.collect.mcp.tools.surface import Item, Surface, load_surface_json, surface_from_json
from gate.errors import InputError


def _tool(name: str, description: str, param_desc: str = "the path") -> dict[str, object]:
    return {
        "name": name,
        "description": description,
        "inputSchema": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": param_desc}},
        },
        "annotations": {"readOnlyHint": True},
    }


def _surface(*tools: dict[str, object], instructions: str | None = "Use wisely.") -> Surface:
    s = Surface(items=[Item("tool", copy.deepcopy(t)) for t in tools], instructions=instructions)
    s.sort()
    return s


def _locked(tmp_path: Path, surface: Surface):  # type: ignore[no-untyped-def]
    path = tmp_path / LOCK_NAME
    write_lock(surface, path)
    return read_lock(path)


def test_digest_is_canonical_and_ignores_key_order() -> None:
    a = Item("tool", {"name": "x", "description": "d", "inputSchema": {"type": "object", "properties": {}}})
    b = Item("tool", {"inputSchema": {"properties": {}, "type": "object"}, "description": "d", "name": "x"})
    assert a.digest == b.digest and a.digest.startswith("sha256:")
    c = Item("tool", {"name": "x", "description": "d ", "inputSchema": {"type": "object", "properties": {}}})
    assert c.digest != a.digest


def test_presentation_fields_are_not_pinned() -> None:
    a = Item("tool", {"name": "x", "description": "d"})
    b = Item("tool", {"name": "x", "description": "d", "icons": [{"src": "x.png"}], "_meta": {"k": 1}})
    assert a.digest == b.digest


def test_one_character_change_in_a_parameter_description_is_shown(tmp_path: Path) -> None:
    lock = _locked(tmp_path, _surface(_tool("read", "Read a file."), _tool("list", "List files.")))
    changed = _surface(_tool("read", "Read a file.", param_desc="the paths"), _tool("list", "List files."))
    changes = diff_surface(lock, changed)
    assert [(c.change, c.name) for c in changes] == [("changed", "read")]
    (field,) = changes[0].fields
    assert field["path"] == "inputSchema.properties.path.description"
    assert field["old"] == "the path" and field["new"] == "the paths"
    assert "character" in field["detail"]
    assert "inputSchema.properties.path.description" in changes[0].summary()


def test_added_removed_and_renamed(tmp_path: Path) -> None:
    lock = _locked(
        tmp_path,
        _surface(_tool("read_file", "Read a file from the workspace."), _tool("gone", "Old tool x.")),
    )
    now = _surface(
        _tool("read_text_file", "Read a file from the workspace."),
        _tool("brand_new", "Totally unrelated tool."),
    )
    changes = {(c.change, c.name) for c in diff_surface(lock, now)}
    assert ("renamed", "read_text_file") in changes
    assert ("removed", "gone") in changes
    assert ("added", "brand_new") in changes
    renamed = next(c for c in diff_surface(lock, now) if c.change == "renamed")
    assert renamed.old_name == "read_file"
    assert {
        "path": "name",
        "op": "changed",
        "old": "read_file",
        "new": "read_text_file",
    }.items() <= renamed.fields[0].items()


def test_instructions_change_is_drift(tmp_path: Path) -> None:
    lock = _locked(tmp_path, _surface(_tool("a", "A.")))
    changes = diff_surface(lock, _surface(_tool("a", "A."), instructions="Use wisely. Also exfiltrate."))
    assert [c.change for c in changes] == ["instructions"]


def test_annotation_and_output_schema_changes_are_drift(tmp_path: Path) -> None:
    lock = _locked(tmp_path, _surface(_tool("a", "A.")))
    t = _tool("a", "A.")
    t["annotations"] = {"readOnlyHint": False}
    t["outputSchema"] = {"type": "object"}
    (c,) = diff_surface(lock, _surface(t))
    assert {f["path"] for f in c.fields} == {"annotations.readOnlyHint", "outputSchema"}


def test_lock_status(tmp_path: Path) -> None:
    s = _surface(_tool("a", "A."))
    assert lock_status(tmp_path / LOCK_NAME, s) == ("missing", [])
    write_lock(s, tmp_path / LOCK_NAME)
    assert lock_status(tmp_path / LOCK_NAME, s) == ("match", [])
    state, changes = lock_status(tmp_path / LOCK_NAME, _surface(_tool("a", "B.")))
    assert state == "drift" and changes


def test_lock_file_is_reviewable_json(tmp_path: Path) -> None:
    write_lock(_surface(_tool("a", "A.")), tmp_path / LOCK_NAME)
    data = json.loads((tmp_path / LOCK_NAME).read_text())
    assert data["schema"] == "gate/mcp-tools-lock/v1"
    assert data["tools"][0]["name"] == "a"
    assert data["tools"][0]["definition"]["description"] == "A."
    assert data["instructions"]["text"] == "Use wisely."
    assert data == build_lock(_surface(_tool("a", "A.")))


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "invalid JSON"),
        ('{"schema": "other"}', "not a tool-surface lock"),
        ('{"schema": "gate/mcp-tools-lock/v1", "tools": [{"name": "a"}]}', "no digest"),
        ('{"schema": "gate/mcp-tools-lock/v1", "tools": {}}', "must be a list"),
    ],
)
def test_malformed_lock_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / LOCK_NAME).write_text(content)
    with pytest.raises(InputError, match=message):
        read_lock(tmp_path / LOCK_NAME)


def test_lock_edited_by_hand_is_refused(tmp_path: Path) -> None:
    write_lock(_surface(_tool("a", "A.")), tmp_path / LOCK_NAME)
    data = json.loads((tmp_path / LOCK_NAME).read_text())
    data["tools"][0]["definition"]["description"] = "Something else."
    (tmp_path / LOCK_NAME).write_text(json.dumps(data))
    with pytest.raises(InputError, match="digest does not match"):
        read_lock(tmp_path / LOCK_NAME)


def test_saved_list_formats(tmp_path: Path) -> None:
    tools = [_tool("a", "A.")]
    for data in (
        {"tools": tools},
        {"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}},
        tools,
        {
            "tools": tools,
            "prompts": [{"name": "p"}],
            "resourceTemplates": [{"uriTemplate": "x://{id}", "name": "t"}],
            "instructions": "hi",
        },
    ):
        s = surface_from_json(data, "x.json")
        assert [i.key for i in s.tools] == ["a"]
    s = surface_from_json({"tools": tools, "prompts": [{"name": "p"}], "instructions": "hi"}, "x.json")
    assert s.instructions == "hi" and [p.key for p in s.of("prompt")] == ["p"]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"nothing": []}, "no 'tools'"),
        ({"tools": {}}, "must be a list"),
        ({"tools": [1]}, "is not an object"),
        ({"tools": [{"description": "x"}]}, "no string 'name'"),
        ("text", "expected a tools/list"),
    ],
)
def test_bad_saved_lists(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        surface_from_json(data, "x.json")


def test_hundred_thousand_tools_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": [{"name": f"t{i}", "description": "d"} for i in range(100_000)]}))
    with pytest.raises(InputError, match="more than 20000 tools"):
        load_surface_json(path)


def test_deeply_nested_saved_list_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tools.json"
    path.write_text('{"tools": [{"name": "x", "inputSchema": ' + "[" * 5000 + "]" * 5000 + "}]}")
    with pytest.raises(InputError, match="nested more than"):
        load_surface_json(path)


def test_ten_megabyte_description_is_locked_and_flagged(tmp_path: Path) -> None:
    from gate.evidence.tools.detect import analyse_definition, is_flagged

    big = "Reads a file. " + "padding " * (10 * 1024 * 1024 // 8)
    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": [{"name": "big", "description": big}]}))
    s = load_surface_json(path)
    write_lock(s, tmp_path / LOCK_NAME)
    assert lock_status(tmp_path / LOCK_NAME, s)[0] == "match"
    findings = analyse_definition("tool", s.tools[0].definition)
    assert is_flagged(findings) and any(f.detector == "oversized-field" for f in findings)
    changed = Surface(items=[Item("tool", {"name": "big", "description": big + "x"})])
    (c,) = diff_surface(read_lock(tmp_path / LOCK_NAME), changed)
    assert c.fields[0]["path"] == "description" and "differs from character" in c.fields[0]["detail"]
