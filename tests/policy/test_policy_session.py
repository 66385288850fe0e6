"""The policy worker started before its input (``gate check`` starts it before collecting) and the compiled
bundle it caches: same decisions as a direct query, a cache that cannot be trusted is rebuilt, and a worker
whose input never comes is stopped."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gate.errors import PolicyError
from gate.policy.engine import Limits, WorkerEngine, bundle_path
from gate.policy.evaluate import RULES_REF
from gate.policy.sources import Module
from gate.policy.worker import _engine_regopy, regopy_query

RULE = """package gate.rules.session
import rego.v1
deny_big contains {"code": "session.big", "msg": c.name} if { some c in input.components; c.name == "big" }
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GATE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GATE_POLICY_CACHE", raising=False)
    return tmp_path / "policy"


def _direct(ps, doc):
    """The value of data.gate.rules by a plain regopy query (no bundle), in this process."""
    interp = _engine_regopy([[m.name, m.text] for m in ps.modules], ps.data)
    interp.set_input_term(json.dumps(doc, ensure_ascii=False))
    return regopy_query(interp, f"x := {RULES_REF}")[1]


def test_bundle_decides_like_a_direct_query(full_library, corpus_docs, cache):
    ps, _ = full_library
    engine = WorkerEngine("regopy")
    for name, doc in sorted(corpus_docs.items()):
        first = engine.start(ps.modules, ps.data, RULES_REF).evaluate(doc)
        again = engine.start(ps.modules, ps.data, RULES_REF).evaluate(doc)
        assert engine.last_timings["bundle"] == 1.0  # loaded from the cache an earlier run wrote
        assert first == again == _direct(ps, doc), name
    assert len(list(cache.glob("*.rbb"))) == 1


def test_real_evidence_decides_like_a_direct_query(full_library, cache, repo_root):
    from gate.collect import Settings
    from gate.document import build_document
    from gate.pipeline import collect

    ps, _ = full_library
    for example in ("notes-server", "blocked-server"):
        doc = build_document(collect(Settings(target=repo_root / "examples" / example)))
        got = WorkerEngine("regopy").evaluate(ps.modules, ps.data, doc, RULES_REF)
        assert got == _direct(ps, doc), example


def test_cache_key_follows_modules_data_and_query(cache):
    mods = [Module("a.rego", RULE, "test")]
    base = bundle_path(mods, {}, RULES_REF)
    assert base and base.startswith(str(cache))
    assert bundle_path(mods, {}, RULES_REF) == base
    assert bundle_path([Module("a.rego", RULE + "\n", "test")], {}, RULES_REF) != base
    assert bundle_path([Module("b.rego", RULE, "test")], {}, RULES_REF) != base
    assert bundle_path(mods, {"gate": {"config": {"x": 1}}}, RULES_REF) != base
    assert bundle_path(mods, {}, "data.gate.rules.session") != base


def test_cache_can_be_turned_off(cache, monkeypatch):
    monkeypatch.setenv("GATE_POLICY_CACHE", "off")
    mods = [Module("a.rego", RULE, "test")]
    assert bundle_path(mods, {}, RULES_REF) is None
    doc = {"components": [{"name": "big"}]}
    value = WorkerEngine("regopy").evaluate(mods, {}, doc, RULES_REF)
    assert value["session"]["deny_big"] == [{"code": "session.big", "msg": "big"}]
    assert not cache.exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "digest", "no-digest"])
def test_a_damaged_bundle_is_rebuilt_not_trusted(damage, cache):
    mods = [Module("a.rego", RULE, "test")]
    doc = {"components": [{"name": "big"}, {"name": "small"}]}
    engine = WorkerEngine("regopy")
    expected = engine.evaluate(mods, {}, doc, RULES_REF)
    path = Path(bundle_path(mods, {}, RULES_REF) or "")
    assert path.is_file()
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"\0" * path.stat().st_size)
    elif damage == "digest":
        path.with_name(path.name + ".sha256").write_text("0" * 64 + "\n")
    else:
        path.with_name(path.name + ".sha256").unlink()
    assert engine.evaluate(mods, {}, doc, RULES_REF) == expected
    assert engine.last_timings["bundle"] == 0.0  # rebuilt ...
    assert engine.evaluate(mods, {}, doc, RULES_REF) == expected
    assert engine.last_timings["bundle"] == 1.0  # ... and the rebuilt one is used next time


def test_an_unwritable_cache_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GATE_CACHE_DIR", str(blocker))
    mods = [Module("a.rego", RULE, "test")]
    value = WorkerEngine("regopy").evaluate(mods, {}, {"components": [{"name": "big"}]}, RULES_REF)
    assert value["session"]["deny_big"][0]["msg"] == "big"


def test_a_broken_policy_is_a_policy_error(cache):
    bad = [
        Module("bad.rego", "package gate.rules.bad\nimport rego.v1\ndeny_x contains x if { x := 1 + }\n", "t")
    ]
    with pytest.raises(PolicyError, match=r"bad\.rego"):
        WorkerEngine("regopy").start(bad, {}, RULES_REF).evaluate({"components": []})


def test_the_time_limit_counts_from_the_input(cache):
    """A worker started early waits while the gate collects; that wait is not charged to the policy."""
    mods = [Module("a.rego", RULE, "test")]
    session = WorkerEngine("regopy", Limits(timeout=2)).start(mods, {}, RULES_REF)
    time.sleep(2.5)
    value = session.evaluate({"components": [{"name": "big"}]})
    assert value["session"]["deny_big"][0]["msg"] == "big"


def test_a_cancelled_session_stops_its_worker(cache):
    session = WorkerEngine("regopy").start([Module("a.rego", RULE, "test")], {}, RULES_REF)
    proc = session._proc.proc
    session.cancel()
    assert proc.poll() is not None
    with pytest.raises(PolicyError, match="cancelled"):
        session.evaluate({})
    session.cancel()  # twice is harmless


def test_check_starts_the_worker_and_cancels_it_when_collection_fails(tmp_path, cache, monkeypatch):
    """A user error during collection (exit 2) leaves no worker behind."""
    from click.testing import CliRunner

    from gate.cli import cli
    from gate.policy import engine as eng

    started: list[WorkerEngine] = []
    sessions = []
    real_start = eng.WorkerEngine.start

    def spy(self, modules, data, ref):
        started.append(self)
        s = real_start(self, modules, data, ref)
        sessions.append(s)
        return s

    monkeypatch.setattr(eng.WorkerEngine, "start", spy)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "requirements.txt").write_text("x" * 10 + "\0\0\0binary")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "t"), "-q"])
    assert result.exit_code == 2 and "binary content" in result.output
    assert started
    assert all(s._proc is None for s in sessions)


def test_worker_start_runs_no_uname_subprocess() -> None:
    # regopy indexes platform.uname(), which would run `uname -p` in a child process on first use.
    import subprocess
    import sys

    code = (
        "import sys, platform\n"
        "from gate.policy.worker import _no_uname_subprocess\n"
        "_no_uname_subprocess()\n"
        "assert platform.uname()[0]\n"
        "print('subprocess' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-s", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
