"""`gate db update|status`, hostile database contents, and the whole pipeline on a small project."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from vulns_helpers import component, inventory

from gate.cli import cli
from gate.evidence.vulns import VulnCollector
from gate.evidence.vulns import db as vdb
from gate.evidence.vulns.source import SourceError

CURATED = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "osv" / "curated"


def _record(rid: str = "PYSEC-1") -> dict:
    return {
        "id": rid,
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["CVE-2099-1"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "requests"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}],
            }
        ],
    }


def test_db_update_from_file_and_status(tmp_path: Path) -> None:
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("PYSEC-1.json", json.dumps(_record()))
    runner = CliRunner()
    db = tmp_path / "db"
    res = runner.invoke(cli, ["db", "status", "--vuln-db", str(db)])
    assert res.exit_code == 2 and "gate db update" in res.output
    res = runner.invoke(cli, ["db", "update", "--vuln-db", str(db), "--ecosystem", "PyPI", "--from", str(z)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["db", "status", "--vuln-db", str(db), "--json", "--verify"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["status"] == "ok" and info["ecosystems"]["PyPI"]["records"] == 1
    assert info["ecosystems"]["PyPI"]["url"].startswith("file://")
    # --from needs exactly one ecosystem
    res = runner.invoke(cli, ["db", "update", "--vuln-db", str(db), "--from", str(z)])
    assert res.exit_code == 2 and "--ecosystem" in res.output
    # Tampering shows up under --verify.
    manifest = vdb.read_manifest(db)
    assert manifest is not None
    store = db / manifest["ecosystems"]["PyPI"]["store"] / "records.jsonl"
    data = bytearray(store.read_bytes())
    data[5] ^= 1
    store.write_bytes(bytes(data))
    res = runner.invoke(cli, ["db", "status", "--vuln-db", str(db), "--verify"])
    assert res.exit_code == 2 and "corrupt" in res.output


def test_db_update_network_failure_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "db",
            "update",
            "--vuln-db",
            str(tmp_path / "db"),
            "--ecosystem",
            "PyPI",
            "--osv-db-url",
            "http://127.0.0.1:9",
            "--timeout",
            "1",
            "-q",
        ],
    )
    assert res.exit_code == 2
    assert "download failed" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("member", "content", "why"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested"),
        (
            "bomb.yaml",
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
                f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
                for i in range(9)
            ),
            "YAML",
        ),
        ("binary.json", "\x00\x01\x02", "JSON"),
    ],
)
def test_hostile_records_fail_closed(tmp_path: Path, member: str, content: str, why: str) -> None:
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("PYSEC-1.json", json.dumps(_record()))
        zf.writestr(member, content)
    with pytest.raises(SourceError) as err:
        vdb.Database.open(z)
    assert member in str(err.value)
    c = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [c], vuln_db=str(z))
    run = VulnCollector().collect(inv)
    assert run.status == "failed" and "vulnerabilities" not in inv.annotations[c.ref]


def test_records_that_are_not_osv_are_ignored_but_bad_shapes_do_not_crash(tmp_path: Path) -> None:
    d = tmp_path / "recs"
    d.mkdir()
    (d / "notes.json").write_text('["not a record"]')
    weird = _record("PYSEC-2")
    weird["affected"] = [
        None,
        {"package": "x"},
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [None, {"type": "ECOSYSTEM", "events": [1, {"a": 1, "b": 2}]}],
            "versions": [None, 3, "2.19.0"],
        },
    ]
    weird["aliases"] = "CVE-X"
    weird["severity"] = [{"type": "CVSS_V3", "score": 7}]
    (d / "weird.json").write_text(json.dumps(weird))
    db = vdb.Database.open(d)
    assert db.records == 1
    c = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [c])
    assert VulnCollector(source=db).collect(inv).status == "ok"
    (f,) = inv.annotations[c.ref]["vulnerabilities"]
    assert f["id"] == "PYSEC-2" and f["severity"] == "unknown" and f["notes"]


def test_pipeline_end_to_end_document_and_sbom(tmp_path: Path) -> None:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    from gate.collect import Settings
    from gate.pipeline import build
    from gate.sbom import validate

    (tmp_path / "requirements.txt").write_text("requests==2.19.0\nurllib3==1.26.18\n")
    outcome = build(Settings(target=tmp_path, options={"vuln_db": str(CURATED), "vuln_db_max_age": 1e6}))
    doc = outcome.document
    section = doc["vulnerabilities"]
    assert section["source"] == "offline" and section["database"]["kind"] == "directory"
    run = next(r for r in doc["collectors"] if r["name"] == "vulnerabilities")
    assert run["status"] == "ok"
    requests = next((c for c in doc["components"] if c["name"] == "requests"), None)
    if requests is None:
        pytest.skip("the Python inventory did not report requirements.txt pins")
    assert {f["id"] for f in requests["vulnerabilities"]} == {"PYSEC-2018-28", "PYSEC-2023-74"}
    urllib3 = next(c for c in doc["components"] if c["name"] == "urllib3")
    assert urllib3["vulnerabilities"] == [] and urllib3["vulnerabilities_checked"] is True
    validate(outcome.sbom)
    assert {v["id"] for v in outcome.sbom["vulnerabilities"]} == {"PYSEC-2018-28", "PYSEC-2023-74"}


def test_yaml_records_keep_rfc3339_strings(tmp_path: Path) -> None:
    d = tmp_path / "recs"
    d.mkdir()
    (d / "PYSEC-9.yaml").write_text(
        "id: PYSEC-9\nmodified: 2020-01-16T13:15:00Z\npublished: 2019-10-04T20:15:00Z\n"
        "affected:\n- package: {name: steam, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n"
        "    events: [{introduced: '0'}, {fixed: '1.0'}]\n"
    )
    db = vdb.Database.open(d)
    assert db.describe()["as_of"] == "2020-01-16T13:15:00Z"
    c = component("PyPI", "steam", "0.9")
    inv = inventory(tmp_path, [c])
    VulnCollector(source=db).collect(inv)
    (f,) = inv.annotations[c.ref]["vulnerabilities"]
    assert (f["published"], f["modified"]) == ("2019-10-04T20:15:00Z", "2020-01-16T13:15:00Z")
    # ... and a zip of YAML records can be installed as a managed store (its lines are JSON).
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(d / "PYSEC-9.yaml", "PYSEC-9.yaml")
    assert vdb.import_zip(tmp_path / "db", "PyPI", z)["records"] == 1
