"""`gate check` and `gate sbom` as a user runs them, on the bundled examples and real fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from gate.cli import cli
from gate.sbom import validate
from tests.conftest import ASSETS, REPO

EXAMPLES = REPO / "examples"


def _gate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_blocked_example_exits_1_with_rule_component_and_place(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    proc = _gate(
        "check",
        str(EXAMPLES / "blocked-server"),
        "--format",
        "json",
        "-o",
        str(report),
        "--report",
        f"sarif={tmp_path / 'gate.sarif'}",
        "--report",
        f"junit={tmp_path / 'junit.xml'}",
        "--report",
        f"markdown={tmp_path / 'summary.md'}",
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(report.read_text())
    jsonschema.validate(doc, json.loads((REPO / "gate/schema/report-v1.schema.json").read_text()))
    denies = {(r["code"], r["component_name"]) for r in doc["results"] if r["kind"] == "deny"}
    assert ("deps.unpinned", "mcp") in denies and ("deps.unpinned", "httpx") in denies
    assert any(code == "tools.flagged" for code, _ in denies)
    unpinned = next(
        r for r in doc["results"] if r["code"] == "deps.unpinned" and r["component_name"] == "mcp"
    )
    assert unpinned["location"] == {"file": "requirements.txt", "line": 1}
    sarif = json.loads((tmp_path / "gate.sarif").read_text())
    jsonschema.validate(sarif, json.loads((ASSETS / "sarif-2.1.0-emitted.schema.json").read_text()))
    assert "## gate: BLOCKED" in (tmp_path / "summary.md").read_text()
    assert "<failure" in (tmp_path / "junit.xml").read_text()


def test_check_is_deterministic_byte_for_byte(tmp_path: Path) -> None:
    outs = []
    for n in range(2):
        d = tmp_path / str(n)
        proc = _gate(
            "check",
            str(EXAMPLES / "notes-server"),
            "--format",
            "json",
            "-o",
            str(d / "r.json"),
            "--sbom-output",
            str(d / "bom.json"),
            "--evidence-output",
            str(d / "evidence.json"),
        )
        assert proc.returncode in (0, 1), proc.stderr
        outs.append([(d / f).read_bytes() for f in ("r.json", "bom.json", "evidence.json")])
    assert outs[0] == outs[1]
    schema = json.loads((REPO / "gate/schema/input-v1.schema.json").read_text())
    jsonschema.validate(json.loads(outs[0][2]), schema)  # the evidence follows its published schema
    assert str(REPO) not in outs[0][2].decode()  # no absolute paths in the evidence


def test_missing_vulnerability_database_blocks_never_passes(tmp_path: Path) -> None:
    proc = _gate(
        "check",
        str(EXAMPLES / "notes-server"),
        "--format",
        "json",
        "-o",
        str(tmp_path / "r.json"),
        "--vuln-db",
        str(tmp_path / "nothing-here"),
    )
    assert proc.returncode == 1
    doc = json.loads((tmp_path / "r.json").read_text())
    assert any(r["code"] == "vulns.database" and r["kind"] == "deny" for r in doc["results"])


def test_sbom_of_real_uv_lock_validates_and_excludes_dev(shared_fixtures: Path, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    result = CliRunner().invoke(
        cli, ["sbom", str(shared_fixtures / "lockfiles/mcp-server-qdrant"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    bom = json.loads(out.read_text())
    validate(bom)
    names = {c["name"] for c in bom["components"]}
    assert "mcp" in names and "pytest" not in names  # pytest is only in the dev group
    assert all(
        any(h["alg"] == "SHA-256" for h in c.get("hashes", []))
        for c in bom["components"]
        if c.get("purl", "").startswith("pkg:pypi/")
    )


def test_vsa_of_a_decision_is_written_and_verifies(tmp_path: Path) -> None:
    key = tmp_path / "vsa.key"
    pub = tmp_path / "vsa.pub"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pub.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    vsa = tmp_path / "vsa.json"
    proc = _gate("check", str(EXAMPLES / "blocked-server"), "--vsa", str(vsa), "--vsa-key", str(key))
    assert proc.returncode == 1 and vsa.is_file(), proc.stderr
    check = _gate("verify-vsa", str(vsa), "--public-key", str(pub))
    assert "records FAILED" in check.stdout  # authentic, and it says the gate blocked


def test_bad_target_and_bad_input_are_one_line_exit_2(tmp_path: Path) -> None:
    proc = _gate("check", str(tmp_path / "absent"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    bad = tmp_path / "srv"
    shutil.copytree(EXAMPLES / "notes-server", bad)
    (bad / "uv.lock").write_text('version = 1\n[[package]]\nname = "x"\nversion = [[[')
    proc = _gate("check", str(bad))
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "uv.lock" in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown", "junit", "github"])
def test_every_format_renders(fmt: str, tmp_path: Path) -> None:
    proc = _gate("check", str(EXAMPLES / "blocked-server"), "--format", fmt, "-o", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "out").read_text().strip()


def test_exceptions_waive_results_and_show_in_every_report(tmp_path: Path) -> None:
    target = tmp_path / "srv"
    shutil.copytree(EXAMPLES / "blocked-server", target)
    (target / "gate.toml").write_text(
        '[[exceptions]]\nrule = "deps.unpinned"\nmatch = "httpx"\nreason = "pinned by the base image"\n'
        "expires = 2099-12-31\n"
        '[[exceptions]]\nrule = "deps.unpinned"\nmatch = "mcp"\nreason = "old waiver"\nexpires = 2020-01-01\n'
    )
    proc = _gate("check", str(target), "--report", f"json={tmp_path / 'r.json'}")
    assert proc.returncode == 1, proc.stderr
    assert "excepted" in proc.stdout and "httpx" in proc.stdout  # the table shows the waived result
    doc = json.loads((tmp_path / "r.json").read_text())
    httpx = next(r for r in doc["results"] if r["code"] == "deps.unpinned" and r["component_name"] == "httpx")
    assert httpx["kind"] == "excepted" and httpx["exception"]["reason"] == "pinned by the base image"
    mcp = next(r for r in doc["results"] if r["code"] == "deps.unpinned" and r["component_name"] == "mcp")
    assert mcp["kind"] == "deny"  # the expired exception no longer applies
    assert doc["exceptions"]["expired"] and doc["summary"]["excepted"] >= 1


def test_report_on_stdout_is_complete_and_exit_status_kept() -> None:
    # The console script ends without the interpreter's teardown: what it printed must all be there.
    proc = _gate("check", str(EXAMPLES / "blocked-server"), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["exit_code"] == 1 and report["results"]
    assert _gate("--version").returncode == 0
    assert _gate("no-such-command").returncode == 2


@pytest.mark.parametrize(("value", "code"), [(None, 0), (0, 0), (1, 1), (2, 2), (256 + 3, 3), ("boom", 1)])
def test_exit_code_follows_sys_exit(value: object, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    from gate.cli import exit_code

    assert exit_code(value) == code
    assert ("boom" in capsys.readouterr().err) == (value == "boom")
