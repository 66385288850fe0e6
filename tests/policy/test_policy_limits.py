"""A hostile or runaway user policy is stopped by the worker's limits: a clear PolicyError, exit 2, never a
pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import cli
from gate.errors import PolicyError
from gate.policy.engine import Limits, WorkerEngine
from gate.policy.sources import Module

REDOS = """package gate.rules.evil
import rego.v1
_subject := concat("", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "b"])
deny_redos := [r | regex.match(`^(a+)+$`, _subject); r := {"code": "evil.redos", "msg": "x"}]
"""

RECURSION = """package gate.rules.evil
import rego.v1
f(x) := y if { y := f(x + 1) }
deny_loop := [r | f(1); r := {"code": "evil.loop", "msg": "x"}]
"""

# about 1 GB of result: 10,000 results of 100 kB each
HUGE_OUTPUT = """package gate.rules.evil
import rego.v1
_chunk := concat("", [s | some _ in numbers.range(1, 1000); s := "%s"])
deny_big := [r | some i in numbers.range(1, %d); r := {"code": "evil.big", "msg": _chunk, "i": i}]
"""


def _eval(text: str, limits: Limits, doc) -> object:
    return WorkerEngine("regopy", limits).evaluate(
        [Module("evil.rego", text, "test")], {}, doc, "data.gate.rules"
    )


def test_redos_regex_is_stopped_by_the_timeout(make_document):
    with pytest.raises(PolicyError, match="timed out after 2 s"):
        _eval(REDOS, Limits(timeout=2), make_document())


def test_infinite_recursion_is_an_error(make_document):
    with pytest.raises(PolicyError, match=r"(?i)recursion|crashed|timed out"):
        _eval(RECURSION, Limits(timeout=5), make_document())


def test_one_gigabyte_output_is_stopped(make_document):
    with pytest.raises(PolicyError, match=r"memory|output exceeded"):
        _eval(HUGE_OUTPUT % ("a" * 100, 10_000), Limits(timeout=30, memory_mb=512), make_document())


def test_output_limit(make_document):
    # 20 MB of output against a 4 MB limit, within the memory limit: the output limit is what stops it.
    with pytest.raises(PolicyError, match="output exceeded 4 MB"):
        _eval(
            HUGE_OUTPUT % ("a" * 100, 200), Limits(timeout=30, memory_mb=1500, output_mb=4), make_document()
        )


def test_engine_crash_is_an_error_not_a_pass(make_document, monkeypatch):
    # Make the worker die by a signal: the gate must report it, never treat it as "no results".
    monkeypatch.setattr("gate.policy.engine.worker_argv", lambda: ["/bin/sh", "-c", "kill -SEGV $$"])
    with pytest.raises(PolicyError, match="crashed with SIGSEGV"):
        _eval("package gate.rules.x\n", Limits(timeout=5), make_document())


def test_worker_environment_is_scrubbed(monkeypatch):
    from gate.policy.engine import _scrubbed_env

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    env = _scrubbed_env()
    assert "AWS_SECRET_ACCESS_KEY" not in env and "GITHUB_TOKEN" not in env
    assert set(env) <= {
        "PATH",
        "LC_ALL",
        "LANG",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHASHSEED",
        "PYTHONIOENCODING",
        "HOME",
        "SOURCE_DATE_EPOCH",
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_runs_under_its_cpu_output_and_core_limits():
    from gate.policy.engine import LimitedProcess

    limits = Limits(timeout=7, memory_mb=512, output_mb=3)
    proc = LimitedProcess([sys.executable, "-c", "import time; time.sleep(5)"], b"", limits, "test")
    try:
        text = Path(f"/proc/{proc.proc.pid}/limits").read_text()
    finally:
        proc.kill()
    table = {line[:26].strip(): line[26:].split()[:2] for line in text.splitlines()[1:]}
    assert table["Max cpu time"] == ["12", "17"]
    assert table["Max file size"] == [str(3 * 1024 * 1024)] * 2
    assert table["Max core file size"] == ["0", "0"]


def test_cli_exits_2_on_a_runaway_policy(tmp_path, make_document, monkeypatch):
    doc = tmp_path / "evidence.json"
    doc.write_text(json.dumps(make_document()), encoding="utf-8")
    pol = tmp_path / "evil.rego"
    pol.write_text(REDOS, encoding="utf-8")
    monkeypatch.setenv("GATE_POLICY_TIMEOUT", "2")
    result = CliRunner().invoke(cli, ["policy", "eval", "--input", str(doc), "--policy", str(pol)])
    assert result.exit_code == 2, result.output
    assert "timed out" in result.output


def test_worker_files_are_anonymous_and_in_the_temporary_directory(tmp_path, monkeypatch) -> None:
    import os

    from gate.policy.engine import anonymous_file, temp_dir

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert temp_dir() == str(tmp_path)
    with anonymous_file() as fh:
        fh.write(b"answer")
        fh.seek(0)
        assert fh.read() == b"answer"
        assert os.listdir(tmp_path) == []  # nothing left by name, even while open
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    assert temp_dir() != str(tmp_path / "missing")
