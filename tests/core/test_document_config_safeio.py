from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from gate.config import load_config
from gate.document import build_document
from gate.errors import ConfigError, InputError
from gate.safeio import load_json, load_toml, load_yaml, read_text
from tests.conftest import REPO
from tests.core.helpers import sample_inventory


def test_document_follows_input_schema_and_is_scoped(tmp_path: Path) -> None:
    doc = build_document(sample_inventory(tmp_path))
    jsonschema.validate(doc, json.loads((REPO / "gate/schema/input-v1.schema.json").read_text()))
    assert doc["schema"] == "gate/input/v1"
    assert [c["name"] for c in doc["components"]] == ["anyio", "mcp"]
    assert doc["excluded"] == {"count": 1, "scopes": ["dev"]}
    assert doc["mcp"]["server"]["name"] == "notes-mcp-server"
    assert doc["mcp"]["transports"][0]["kind"] == "mcp-transport"
    assert str(tmp_path) not in json.dumps(doc)  # no absolute paths leak into evidence


def test_sections_and_annotations_are_merged(tmp_path: Path) -> None:
    inv = sample_inventory(tmp_path)
    inv.annotate("pkg:pypi/mcp@1.23.3", "vulnerabilities", [{"id": "GHSA-x"}])
    inv.sections["vulnerabilities"] = {"database": None}
    doc = build_document(inv)
    mcp = next(c for c in doc["components"] if c["name"] == "mcp")
    assert mcp["vulnerabilities"] == [{"id": "GHSA-x"}]
    assert doc["vulnerabilities"] == {"database": None}


def test_config_exceptions_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname='x'\n[tool.gate]\ninclude-dev = true\npolicy-data = {max_age_days = 3}\n"
        "[[tool.gate.exceptions]]\nrule = 'deps.*'\nmatch = 'pkg:pypi/anyio*'\nreason = 'vendored'\nexpires = 2026-12-31\n"
    )
    cfg = load_config(tmp_path)
    assert cfg.defaults == {"include_dev": True}
    assert cfg.policy_data == {"max_age_days": 3}
    (ex,) = cfg.exceptions
    assert ex.matches("deps.unpinned", {"purl": "pkg:pypi/anyio@4.11.0"})
    assert not ex.matches("vulns.high", {"purl": "pkg:pypi/anyio@4.11.0"})
    assert not ex.expired(dt.date(2026, 12, 31)) and ex.expired(dt.date(2027, 1, 1))


@pytest.mark.parametrize(
    "body",
    [
        "[[tool.gate.exceptions]]\nrule='x'\nexpires=2026-01-01\n",  # no reason
        "[[tool.gate.exceptions]]\nrule='x'\nreason='r'\n",  # no expiry
        "[[tool.gate.exceptions]]\nrule='x'\nreason='r'\nexpires='soon'\n",
    ],
)
def test_invalid_exceptions_are_config_errors(tmp_path: Path, body: str) -> None:
    (tmp_path / "gate.toml").write_text(body)
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path)
    assert "gate.toml" in e.value.diagnostics()


def test_bounded_readers_reject_hostile_files(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(InputError, match="nested more than"):
        load_json(deep)
    deep_toml = tmp_path / "deep.toml"
    deep_toml.write_text("a = " + "[" * 10_000 + "]" * 10_000)
    with pytest.raises(InputError, match="nested more than"):
        load_toml(deep_toml)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary"):
        read_text(binary)
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(2 * 1024 * 1024)
    with pytest.raises(InputError, match="too large"):
        read_text(big, max_bytes=1024 * 1024)
    bomb = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 12)
    ]
    bomb.write_text("\n".join(lines))
    with pytest.raises(InputError, match="alias"):
        load_yaml(bomb)
    trunc = tmp_path / "trunc.json"
    trunc.write_text('{"a": [1, 2')
    with pytest.raises(InputError) as e:
        load_json(trunc)
    assert "trunc.json" in e.value.diagnostics() and "\n" not in e.value.diagnostics()


def _toml_files(*roots: Path) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        for pattern in ("**/*.toml", "**/*.lock"):
            found += [p for p in root.glob(pattern) if ".venv" not in p.parts and p.is_file()]
    return sorted(found)


def test_toml_fast_path_reads_what_tomli_reads(shared_fixtures: Path) -> None:
    import tomli

    from gate.safeio import parse_toml

    files = [
        p for p in _toml_files(shared_fixtures, REPO / "examples", REPO / "policies") if p.suffix != ".lock"
    ]
    files += [
        p for p in _toml_files(shared_fixtures, REPO / "examples") if p.name in ("uv.lock", "poetry.lock")
    ]
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            expected = tomli.loads(text)
        except tomli.TOMLDecodeError:
            with pytest.raises(InputError):
                parse_toml(text, path.name)
            continue
        # Same values, same key order (order decides the order of components and edges downstream).
        got = parse_toml(text, path.name)
        assert json.dumps(got, default=str) == json.dumps(expected, default=str), path


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("big = 99999999999999999999\n", {"big": 99999999999999999999}),  # past 64 bits: tomli decides
        ("when = 2026-01-31\n", {"when": dt.date(2026, 1, 31)}),
        ('a.b.c = "x"\n', {"a": {"b": {"c": "x"}}}),
    ],
)
def test_toml_values_whichever_parser_reads_them(text: str, value: dict[str, object]) -> None:
    from gate.safeio import parse_toml

    assert parse_toml(text, "x.toml") == value


@pytest.mark.parametrize(
    "text",
    [
        'a = "unterminated\n',
        "a = 1\na = 2\n",  # duplicate key
        "[t]\nx = 1\n[t]\ny = 2\n",  # table defined twice
        'a = "bad \\q escape"\n',
        "a = [1, 2\n",
        "= 1\n",
        "a = 1979-13-40\n",
    ],
)
def test_invalid_toml_is_one_input_error_worded_by_tomli(text: str) -> None:
    from gate.safeio import parse_toml

    with pytest.raises(InputError) as err:
        parse_toml(text, "bad.toml")
    assert "invalid TOML" in str(err.value) and "bad.toml" in str(err.value.diagnostics())


def test_written_out_to_json_follows_the_fields() -> None:
    # Location and Source write their JSON field by field (they are on every component): a field added to
    # the class must reach it too, in declaration order, None left out.
    import dataclasses

    from gate.model import Location, Source

    every_field = [
        cls(**{f.name: f"v{i}" for i, f in enumerate(dataclasses.fields(cls))}) for cls in (Location, Source)
    ]
    for obj in (
        Location("a"),
        Location("a", 3, 4, "s"),
        Source(),
        Source("git", "https://x", "r"),
        *every_field,
    ):
        full = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        assert obj.to_json() == {k: v for k, v in full.items() if v is not None}
        assert list(obj.to_json()) == [k for k, v in full.items() if v is not None]
