"""The policy stage end to end on the embedded engine: results, METADATA, collections, effective dates,
exceptions, successes, data merging, user policies and the digest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gate.collect import Settings
from gate.config import GateConfig, RuleException
from gate.errors import PolicyError, UsageError
from gate.policy.evaluate import evaluate, prepare, run

TODAY = dt.date(2026, 1, 1)


def _codes(ev, kind):
    return sorted({r.code for r in ev.results if r.kind == kind})


def test_clean_document_passes_and_lists_successes(bundled, regopy_engine, make_document):
    ps, catalog = bundled
    ev = run(make_document(), ps, catalog, regopy_engine, on=TODAY)
    assert ev.decision == "pass"
    assert ev.exit_code == 0
    successes = _codes(ev, "success")
    assert "core.collector_failed" in successes and "deps.unpinned" in successes
    # strict-only rules are not part of the default (recommended) collection
    assert "deps.missing_hash_strict" not in successes
    assert ev.engine == "regopy"
    assert ev.policy_digest.startswith("sha256:")
    assert "bundled:gate/policies" in ev.policy_sources


def test_every_result_names_code_component_evidence_and_location(bundled, regopy_engine, corpus_docs):
    ps, catalog = bundled
    ev = run(corpus_docs["tricky-1"], ps, catalog, regopy_engine, on=TODAY)
    assert ev.decision == "block"
    assert _codes(ev, "deny") == [
        "core.collector_failed",
        "core.collector_incomplete",
        "deps.no_lockfile",
        "deps.unpinned",
    ]
    assert _codes(ev, "warn") == ["deps.missing_hash", "deps.non_registry_source"]
    unpinned = [r for r in ev.results if r.code == "deps.unpinned"]
    assert {r.component for r in unpinned} == {"pkg:pypi/unpinned-1", "pkg:pypi/noversion-1@1.0.0"}
    r = next(r for r in unpinned if r.component == "pkg:pypi/unpinned-1")
    assert (
        r.location is not None
        and r.location.file == 'req quote " and \\ backslash.txt'
        and r.location.line == 2
    )
    assert r.title == "Production dependency not pinned to an exact version"
    assert r.severity == "high" and r.solution
    assert r.evidence["version"] == '>=quote " and \\ backslash'
    failed = next(r for r in ev.results if r.code == "core.collector_failed")
    assert failed.msg == 'collector python failed: cannot parse quote " and \\ backslash'
    assert failed.location is not None and failed.location.line == 3


def test_collections_minimal_and_strict(bundled, regopy_engine, corpus_docs):
    ps, catalog = bundled
    doc = corpus_docs["tricky-0"]
    minimal = run(doc, ps, catalog, regopy_engine, collection="minimal", on=TODAY)
    assert "deps.no_lockfile" not in {r.code for r in minimal.results}
    assert "deps.unpinned" in _codes(minimal, "deny")
    strict = run(doc, ps, catalog, regopy_engine, collection="strict", on=TODAY)
    # strict turns the missing-hash warning into a deny and drops the warning it supersedes
    assert "deps.missing_hash_strict" in _codes(strict, "deny")
    assert "deps.missing_hash" not in {r.code for r in strict.results}
    assert {r.code for r in strict.rules} >= {"deps.missing_hash_strict", "deps.no_lockfile"}
    with pytest.raises(UsageError, match="unknown collection"):
        run(doc, ps, catalog, regopy_engine, collection="nope", on=TODAY)


def test_exceptions_apply_expire_and_are_reported(bundled, regopy_engine, corpus_docs):
    ps, catalog = bundled
    doc = corpus_docs["tricky-0"]
    exceptions = (
        RuleException(
            rule="deps.unpinned",
            match="unpinned-*",
            reason="vendored, reviewed",
            expires=dt.date(2026, 6, 30),
            source="gate.toml",
        ),
        RuleException(
            rule="deps.non_registry_source",
            match="pkg:pypi/git-0@*",
            reason="old waiver",
            expires=dt.date(2025, 12, 31),
            source="gate.toml",
        ),
    )
    ev = run(doc, ps, catalog, regopy_engine, exceptions=exceptions, on=TODAY)
    excepted = ev.by_kind("excepted")
    assert [r.component for r in excepted] == ["pkg:pypi/unpinned-0"]
    assert excepted[0].original_kind == "deny"
    assert excepted[0].exception is not None and excepted[0].exception.reason == "vendored, reviewed"
    assert ev.applied_exceptions == excepted
    # the other unpinned component is still denied
    assert any(r.code == "deps.unpinned" and r.kind == "deny" for r in ev.results)
    # the expired waiver no longer applies, is listed, and the result says so
    git = next(r for r in ev.results if r.component == "pkg:pypi/git-0@1.0.0")
    assert git.kind == "warn" and git.note and "expired on 2025-12-31" in git.note
    assert [e["rule"] for e in ev.expired_exceptions] == ["deps.non_registry_source"]
    assert excepted[0].to_json()["kind"] == "excepted"


def test_excepted_results_do_not_count_for_the_decision(
    bundled, regopy_engine, make_document, make_component
):
    ps, catalog = bundled
    doc = make_document([make_component("a", pinned=False)])
    waiver = (RuleException(rule="deps.*", match="*", reason="r", expires=dt.date(2026, 2, 1), source="x"),)
    ev = run(doc, ps, catalog, regopy_engine, exceptions=waiver, on=TODAY)
    assert ev.decision == "pass"
    assert len(ev.by_kind("excepted")) == 1


USER_POLICY = """package gate.rules.acme

import rego.v1

# METADATA
# title: Banned package
# description: The acme security team bans this package.
# custom:
#   short_name: banned
#   severity: critical
#   solution: Remove it.
#   effective_on: 2027-01-01
deny contains result if {
	some c in input.components
	c.name in data.gate.config.acme.banned
	result := {"code": "acme.banned", "msg": sprintf("%s is banned", [c.name]), "component": c.ref}
}

# METADATA
# title: Old package
# description: Packages at 0.x.
# custom:
#   short_name: old
#   severity: low
#   solution: Upgrade.
deny contains result if {
	some c in input.components
	startswith(c.version, "0.")
	result := {"code": "acme.old", "msg": "old", "component": c.ref}
}

# No METADATA: still reported, with the code it gives.
warn contains "plain string warning" if {
	count(input.components) > 100
}
"""


def test_user_policy_sets_data_and_effective_on(
    tmp_path, regopy_engine, make_document, make_component, own_rules
):
    pdir = tmp_path / "acme"
    pdir.mkdir()
    (pdir / "acme.rego").write_text(USER_POLICY, encoding="utf-8")
    (pdir / "acme_test.rego").write_text("package gate.rules.acme_test\nthis is not rego\n", encoding="utf-8")
    data = tmp_path / "banned.yaml"
    data.write_text("acme:\n  banned: [leftpad]\n", encoding="utf-8")
    ps, catalog = own_rules(
        prepare(policies=[pdir], data_files=[data], policy_data={"acme": {"extra": 1}})[0]
    )
    assert ps.data["gate"]["config"]["acme"] == {"banned": ["leftpad"], "extra": 1}
    assert ps.data["gate"]["config"]["deps"]["package_types"]  # bundled data kept (deep merge)
    doc = make_document([make_component("leftpad"), make_component("zlib", version="0.9")])
    ev = run(doc, ps, catalog, regopy_engine, on=TODAY)
    banned = next(r for r in ev.results if r.code == "acme.banned")
    assert banned.kind == "warn" and banned.original_kind == "deny"
    assert banned.note == "not yet effective: becomes a deny on 2027-01-01"
    assert banned.severity == "critical" and banned.title == "Banned package"
    assert next(r for r in ev.results if r.code == "acme.old").kind == "deny"
    later = run(doc, ps, catalog, regopy_engine, on=dt.date(2027, 1, 1))
    assert next(r for r in later.results if r.code == "acme.banned").kind == "deny"
    assert ps.digest() != prepare(policies=[], data_files=[])[0].digest()


def test_evaluate_entry_point_reads_settings(tmp_path, make_document):
    # The whole bundled library runs here: only the excepted core rule is asserted on.
    config = GateConfig(
        exceptions=(
            RuleException(
                rule="core.collector_failed",
                match="*",
                reason="known outage",
                expires=dt.date(2026, 1, 31),
                source="gate.toml",
            ),
        ),
    )
    settings = Settings(target=tmp_path, config=config)
    doc = make_document(
        collectors=[
            {
                "name": "vulns",
                "status": "failed",
                "reason": None,
                "errors": [{"message": "no db"}],
                "stats": {},
            }
        ]
    )
    ev = evaluate(doc, settings=settings, policies=[], data_files=[], collection=None, engine="regopy")
    assert not any(r.code.startswith(("core.", "deps.")) and r.kind in ("deny", "warn") for r in ev.results)
    assert [r.code for r in ev.applied_exceptions] == ["core.collector_failed"]


def test_digest_is_stable_and_covers_data(tmp_path):
    a = prepare(policies=[], data_files=[])[0].digest()
    b = prepare(policies=[], data_files=[])[0].digest()
    assert a == b
    c = prepare(policies=[], data_files=[], policy_data={"x": 1})[0].digest()
    assert c != a


def test_broken_user_policy_is_a_policy_error(tmp_path, regopy_engine, make_document):
    bad = tmp_path / "bad.rego"
    bad.write_text("package gate.rules.bad\nimport rego.v1\ndeny_x := [r | some r in ]\n", encoding="utf-8")
    ps, catalog = prepare(policies=[bad], data_files=[])
    with pytest.raises(PolicyError):
        run(make_document(), ps, catalog, regopy_engine, on=TODAY)


def test_duplicate_codes_rejected(tmp_path):
    for n in ("a", "b"):
        (tmp_path / f"{n}.rego").write_text(
            f"package gate.rules.dup\nimport rego.v1\n# METADATA\n# title: t\n# custom:\n#   short_name: same\n"
            f"deny_{n} := []\n",
            encoding="utf-8",
        )
    with pytest.raises(PolicyError, match="defined twice"):
        prepare(policies=[tmp_path], data_files=[])


def test_test_files_never_loaded_into_a_run(tmp_path):
    (tmp_path / "p.rego").write_text("package gate.rules.p\nimport rego.v1\n", encoding="utf-8")
    (tmp_path / "p_test.rego").write_text("package gate.rules.p_test\n", encoding="utf-8")
    ps, _ = prepare(policies=[tmp_path], data_files=[])
    assert not any(m.name.endswith("_test.rego") for m in ps.modules)
    with pytest.raises(UsageError):
        prepare(policies=[Path(tmp_path / "p_test.rego")], data_files=[])


def test_pending_reads_metadata_while_the_worker_evaluates(monkeypatch, corpus_docs, tmp_path: Path):
    from gate.policy import evaluate as ev

    pending = ev.start(
        settings=Settings(target=tmp_path), policies=[], data_files=[], collection=None, engine="regopy"
    )
    assert pending.catalog is None  # nothing read yet: the gate collects first
    order: list[str] = []
    started = pending._started
    real_send, real_build = started.send, ev.Catalog.build
    monkeypatch.setattr(started, "send", lambda doc: (order.append("send"), real_send(doc))[1])
    monkeypatch.setattr(
        ev.Catalog, "build", classmethod(lambda cls, ps: (order.append("metadata"), real_build(ps))[1])
    )
    with pending:
        result = pending.finish(corpus_docs["tricky-0"], on=TODAY)
    assert order == ["send", "metadata"]
    unpinned = next(r for r in result.results if r.code == "deps.unpinned")
    assert unpinned.title == "Production dependency not pinned to an exact version"


def test_unknown_collection_fails_before_the_worker_starts(tmp_path: Path):
    from gate.policy import evaluate as ev

    with pytest.raises(UsageError, match="unknown collection 'nope'"):
        ev.start(
            settings=Settings(target=tmp_path), policies=[], data_files=[], collection="nope", engine="regopy"
        )
    pending = ev.start(
        settings=Settings(target=tmp_path), policies=[], data_files=[], collection="strict", engine="regopy"
    )
    with pending:
        assert pending.collection == "strict"
