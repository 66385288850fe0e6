"""METADATA parsing in Python, opa test output parsing, and the test-runner's rewrite of `with input as`."""

from __future__ import annotations

import json

import pytest

from gate.errors import PolicyError
from gate.policy.metadata import parse_module, rule_info
from gate.policy.testing import find_tests, parse_opa_test, strip_with_input

MODULE = """# METADATA
# scope: package
# custom:
#   collections: [strict]
package gate.rules.acme.licences

import rego.v1

# METADATA
# title: Copyleft licence
# description: |
#   A component under a strong
#   copyleft licence.
# custom:
#   severity: low
#   solution: Ask legal.
#   effective_on: "2027-03-01T00:00:00Z"
warn_copyleft := [r | r := 1]

# METADATA
# title: Set rule
# custom:
#   short_name: first
deny contains r if { r := {"code": "acme.licences.first"} }

deny contains r if { r := {"code": "acme.licences.first"} }

# METADATA
# title: Second set rule
# custom:
#   short_name: second
deny contains r if { r := {"code": "acme.licences.second"} }

default deny_flag := []

_helper := 1
"""


def test_parse_module_rules_and_package_defaults():
    info = parse_module(MODULE, "acme.rego")
    assert info.package == "gate.rules.acme.licences"
    assert [(r.name, r.code) for r in info.rules] == [
        ("warn_copyleft", "acme.licences.copyleft"),
        ("deny", "acme.licences.first"),
        ("deny", "acme.licences.second"),
    ]
    ri = rule_info(info.rules[0], info.package_annotations)
    assert ri is not None
    assert ri.kind == "warn" and ri.severity == "low" and ri.collections == ("strict",)
    assert ri.effective_on == "2027-03-01"
    assert ri.description == "A component under a strong copyleft licence."
    assert ri.line == 18


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("package gate.rules.x\n# METADATA\n# title: [unclosed\ndeny_a := []\n", "not valid YAML"),
        (
            "package gate.rules.x\n# METADATA\n# custom:\n#   short_name: a\n#   severity: urgent\ndeny_a := []\n",
            "severity must be one of",
        ),
        ("package gate.rules.x\n# METADATA\n# custom:\n#   effective_on: soon\ndeny_a := []\n", "not a date"),
        ("import rego.v1\n", "no package"),
    ],
)
def test_bad_metadata_is_a_policy_error(text, message):
    with pytest.raises(PolicyError, match=message):
        info = parse_module(text, "x.rego")
        for r in info.rules:
            rule_info(r, info.package_annotations)


TEST_MODULE = """package gate.rules.x_test

import rego.v1

_base := {"components": []}

test_one if {
	doc := object.union(_base, {"k": "a } \\" with input as nope"})
	data.gate.rules.x.deny_a == [] with input as doc
}

test_two if {
	data.gate.rules.x.deny_a == [] with input as {"a": 1}
	data.gate.rules.x.deny_a == [] with input as {"a": 2}
}

test_partial if {
	data.gate.rules.x.deny_a == [] with input.components as []
}
"""


def test_find_tests_and_rewrite():
    tests = {t.name: t for t in find_tests(TEST_MODULE)}
    assert set(tests) == {"test_one", "test_two", "test_partial"}
    # the local `doc` is inlined so the input can be evaluated at package level; strings are not parsed as code
    assert tests["test_one"].inputs == ('(object.union(_base, {"k": "a } \\" with input as nope"}))',)
    assert len(tests["test_two"].inputs) == 2
    assert tests["test_partial"].partial_input
    out = strip_with_input(TEST_MODULE, list(tests.values()), {"test_one"})
    assert "with input" not in out.replace("with input as nope", "")
    assert '__gate_input_test_one := (object.union(_base, {"k": "a } \\" with input as nope"}))' in out
    assert "__gate_input_test_two" not in out


def test_parse_opa_test_json():
    raw = json.dumps(
        [
            {
                "location": {"file": "p/a_test.rego", "row": 5, "col": 1},
                "package": "data.gate.rules.a_test",
                "name": "test_ok",
                "duration": 120000,
            },
            {
                "location": {"file": "p/a_test.rego", "row": 9, "col": 1},
                "package": "data.gate.rules.a_test",
                "name": "test_bad",
                "fail": True,
                "output": "aGVsbG8K",
                "duration": 90000,
            },
            {
                "location": {"file": "p/a_test.rego", "row": 12, "col": 1},
                "package": "data.gate.rules.a_test",
                "name": "test_err",
                "error": {
                    "code": "eval_conflict_error",
                    "message": "functions must not produce multiple outputs",
                },
            },
        ]
    ).encode()
    rows = parse_opa_test(raw)
    assert [(r.name, r.status) for r in rows] == [
        ("test_ok", "pass"),
        ("test_bad", "fail"),
        ("test_err", "error"),
    ]
    assert rows[1].output == "hello\n" and rows[0].package == "gate.rules.a_test"
    assert "multiple outputs" in rows[2].message


def test_cached_metadata_reads_back_exactly(tmp_path, monkeypatch):
    """The parsed METADATA is cached as JSON beside the compiled policies; what is read back gives the same
    rule information (YAML dates included) as parsing, and a damaged cache is parsed afresh."""
    from gate.policy.evaluate import prepare
    from gate.policy.metadata import parse_modules
    from gate.policy.sources import Module

    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path))
    dated = MODULE.replace("#   short_name: second", "#   short_name: second\n#   effective_on: 2030-01-02")
    assert dated != MODULE
    ps, _ = prepare(policies=[], data_files=[])
    modules = [*ps.modules, Module("acme.rego", dated, "test")]

    def infos(parsed):
        return [
            (mi.file, mi.package, [rule_info(rd, mi.package_annotations) for rd in mi.rules]) for mi in parsed
        ]

    fresh = [parse_module(m.text, m.name) for m in modules]
    before = set((tmp_path / "policy").glob("metadata-*.json"))  # prepare() cached the bundled library's
    first = parse_modules(modules)  # parses and writes the cache
    cached = sorted(set((tmp_path / "policy").glob("metadata-*.json")) - before)
    assert len(cached) == 1
    second = parse_modules(modules)  # reads it
    assert infos(fresh) == infos(first) == infos(second)
    assert any(r and r.effective_on == "2030-01-02" for _, _, rs in infos(second) for r in rs)

    cached[0].write_text("{not json")
    assert infos(parse_modules(modules)) == infos(fresh)
    cached[0].write_text(json.dumps([{"file": "x"}]))
    assert infos(parse_modules(modules)) == infos(fresh)

    monkeypatch.setenv("GATE_POLICY_CACHE", "off")
    other = [Module("acme.rego", dated.replace("Copyleft", "Strong copyleft"), "test")]
    assert infos(parse_modules(other)) == infos([parse_module(other[0].text, "acme.rego")])
    assert len(set((tmp_path / "policy").glob("metadata-*.json")) - before) == 1


def test_bad_metadata_is_not_cached(tmp_path, monkeypatch):
    from gate.policy.metadata import parse_modules
    from gate.policy.sources import Module

    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path))
    bad = [Module("bad.rego", "# METADATA\n# title: [unclosed\npackage gate.rules.bad\n", "test")]
    for _ in range(2):
        with pytest.raises(PolicyError, match="not valid YAML"):
            parse_modules(bad)
    assert not list(tmp_path.glob("policy/metadata-*.json"))
