"""gate policy test | lint | doc | eval, as a policy author runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import cli

REPO = Path(__file__).resolve().parents[2]

RULES = """package gate.rules.acme

import rego.v1

# METADATA
# title: Too many components
# description: More than two components.
# custom:
#   short_name: too_many
#   severity: low
#   solution: Fewer.
warn_too_many := [r |
	count(input.components) > 2
	r := {"code": "acme.too_many", "msg": sprintf("%d components", [count(input.components)])}
]
"""

TESTS = """package gate.rules.acme_test

import rego.v1

import data.gate.rules.acme

_three := {"components": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}

test_three_warns if {
	count(acme.warn_too_many) == 1 with input as _three
}

test_local_input_is_inlined if {
	two := {"components": [{"name": "a"}, {"name": "b"}]}
	print("checking", count(two.components))
	count(acme.warn_too_many) == 0 with input as two
}

test_fails_on_purpose if {
	count(acme.warn_too_many) == 5 with input as _three
}

test_two_inputs if {
	count(acme.warn_too_many) == 1 with input as _three
	count(acme.warn_too_many) == 0 with input as {"components": []}
}

test_no_input if {
	acme.warn_too_many == []
}
"""


@pytest.fixture
def acme(tmp_path):
    d = tmp_path / "acme"
    d.mkdir()
    (d / "acme.rego").write_text(RULES, encoding="utf-8")
    (d / "acme_test.rego").write_text(TESTS, encoding="utf-8")
    return d


def _invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_core_and_deps_tests_pass_on_regopy():
    result = _invoke(
        "policy",
        "test",
        str(REPO / "policies" / "core"),
        str(REPO / "policies" / "deps"),
        "--engine",
        "regopy",
        "--format",
        "json",
    )
    rows = json.loads(result.stdout)
    expected = sum(
        line.startswith("test_")
        for area in ("core", "deps")
        for line in (REPO / "policies" / area / f"{area}_test.rego").read_text().splitlines()
    )
    assert len(rows) == expected and all(r["status"] == "pass" for r in rows), rows
    assert result.exit_code == 0


@pytest.mark.parametrize("engine", ["regopy", "opa-golib"])
def test_user_tests_report_pass_fail_error_and_print(acme, engine, engines):
    if engine not in engines:
        pytest.skip(f"{engine} is not installed")
    result = _invoke("policy", "test", str(acme), "--engine", engine, "--format", "json")
    assert result.exit_code == 1, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["test_three_warns"]["status"] == "pass"
    assert rows["test_local_input_is_inlined"]["status"] == "pass"
    assert "checking 2" in rows["test_local_input_is_inlined"]["output"]
    assert rows["test_fails_on_purpose"]["status"] == "fail"
    assert rows["test_no_input"]["status"] == "pass"
    if engine == "regopy":
        two = rows["test_two_inputs"]
        assert two["status"] == "error"
        assert "2 different `with input as` values" in two["message"]
        assert "opa-golib" in two["message"]  # names the fix
    else:
        assert rows["test_two_inputs"]["status"] == "pass"


def test_text_output_and_run_filter(acme):
    result = _invoke("policy", "test", str(acme), "--engine", "regopy", "--run", "three_warns|no_input", "-v")
    assert result.exit_code == 0, result.output
    assert "PASS  data.gate.rules.acme_test.test_three_warns" in result.output
    assert "2 tests on regopy: 2 pass" in result.output
    auto = _invoke("policy", "test", str(acme), "--run", "three_warns")
    assert auto.exit_code == 0 and "1 tests on " in auto.output


def test_a_crashing_test_file_is_a_per_test_error(tmp_path, monkeypatch):
    # Simulate the worker dying mid-file (as regopy does on unsupported `with input as` shapes).
    d = tmp_path / "p"
    d.mkdir()
    (d / "p.rego").write_text("package gate.rules.p\nimport rego.v1\nx := 1\n", encoding="utf-8")
    (d / "p_test.rego").write_text(
        "package gate.rules.p_test\nimport rego.v1\ntest_a if { data.gate.rules.p.x == 1 }\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("gate.policy.engine.worker_argv", lambda: ["/bin/sh", "-c", "kill -SEGV $$"])
    result = _invoke("policy", "test", str(d), "--engine", "regopy", "--format", "json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows[0]["status"] == "error" and "SIGSEGV" in rows[0]["message"]


LINTY = """package gate.rules.linty

import rego.v1

# METADATA
# title: Linty
# custom:
#   short_name: linty
deny contains r if {
	some c in input.components
	c.nmae == "x"
	regex.match(`(a+)+$`, c.name)
	t := time.parse_rfc3339_ns(c.published)
	keys := [k | some k, v in c.extra]
	r := {"code": "linty.linty", "msg": sprintf("%s", [concat(",", keys)]), "location": object.get(c, ["locations", 0], null)}
}

ok := false

warn_x := [r | r := {"code": "other.code"}; x := input.no_such_field]

_by_ref := {c.ref: c | some c in input.components}
"""


def test_lint_finds_regopy_pitfalls_metadata_schema_and_codes(tmp_path):
    (tmp_path / "linty.rego").write_text(LINTY, encoding="utf-8")
    result = _invoke("policy", "lint", str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    checks = {(f["check"], f["line"]) for f in json.loads(result.stdout)}
    names = {c for c, _ in checks}
    assert {
        "regex-redos",
        "regopy-rfc3339",
        "regopy-key-value-comprehension",
        "regopy-sprintf-concat",
        "regopy-object-get-index",
        "regopy-false-value",
        "slow-set-rule",
        "metadata",
        "code-unknown",
        "input-field",
    } <= names
    assert ("input-field", 11) in checks  # c.nmae is not a component field


def test_lint_bundled_library_is_clean():
    result = _invoke("policy", "lint")
    assert result.exit_code == 0, result.output


def test_docs_rules_md_is_current():
    result = _invoke("policy", "doc", "--check", "-o", str(REPO / "docs" / "rules.md"))
    assert result.exit_code == 0, (
        "docs/rules.md is stale: run `gate policy doc -o docs/rules.md`\n" + result.output
    )


def test_doc_renders_metadata(tmp_path):
    out = tmp_path / "rules.md"
    assert _invoke("policy", "doc", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "### deps.unpinned" in text and "Pin it" not in text
    assert "- Collections: minimal, recommended, strict" in text
    assert "Replaces `deps.missing_hash` where it is selected" in text


def test_eval_saved_evidence(tmp_path, make_document, make_component):
    doc = tmp_path / "evidence.json"
    doc.write_text(json.dumps(make_document([make_component("a", pinned=False)])), encoding="utf-8")
    cfg = tmp_path / "gate.toml"
    cfg.write_text(
        '[[exceptions]]\nrule = "deps.unpinned"\nmatch = "a"\nreason = "reviewed"\nexpires = 2026-03-01\n',
        encoding="utf-8",
    )
    result = _invoke("policy", "eval", "--input", str(doc), "--format", "json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["decision"] == "block"
    assert any(r["code"] == "deps.unpinned" and r["kind"] == "deny" for r in body["results"])
    waived = _invoke("policy", "eval", "--input", str(doc), "--config", str(cfg))
    assert "EXCEPTED deps.unpinned" in waived.output and "reviewed" in waived.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = _invoke("policy", "eval", "--input", str(bad))
    assert result.exit_code == 2 and "bad.json" in result.output


def test_eval_profile_lists_every_rule(tmp_path, make_document, make_component):
    doc = tmp_path / "evidence.json"
    doc.write_text(json.dumps(make_document([make_component("a", pinned=False)])), encoding="utf-8")
    result = _invoke(
        "policy",
        "eval",
        "--input",
        str(doc),
        "--profile",
        "--format",
        "json",
        "--no-bundled",
        "--policy",
        str(REPO / "policies" / "deps"),
    )
    assert result.exit_code == 0, result.output
    rows = {r["ref"]: r for r in json.loads(result.stdout)}
    assert "(load input)" in rows and "(fixed cost of one query, subtracted below)" in rows
    assert rows["data.gate.rules.deps.deny_unpinned"]["results"] == 1
