"""The offline database: shapes, atomic updates, and every way the data can be missing or broken."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from vulns_helpers import component, inventory

from gate.evidence.vulns import VulnCollector
from gate.evidence.vulns import db as vdb
from gate.evidence.vulns.source import Query, SourceError
from gate.evidence.vulns.versions import parse

REQUESTS_2_19 = {"PYSEC-2018-28", "PYSEC-2023-74"}
PYPA_ZIP = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "fixtures"
    / "osv"
    / "pypa-advisory-db-2024-10-10.zip"
)


def _record(
    rid: str, name: str = "requests", fixed: str = "2.20.0", modified: str = "2024-01-01T00:00:00Z"
) -> dict:
    return {
        "id": rid,
        "modified": modified,
        "aliases": [f"CVE-{rid}"],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


def _zip(path: Path, records: list[dict], yaml_too: bool = False) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in records:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    return path


def _scan(tmp_path: Path, **options: Any) -> tuple[Any, Any, str]:
    c = component("PyPI", "requests", "2.19.0")
    inv = inventory(tmp_path, [c], **options)
    run = VulnCollector().collect(inv)
    return run, inv, c.ref


def test_zip_directory_and_managed_give_the_same_answers(tmp_path: Path) -> None:
    if not PYPA_ZIP.is_file():
        pytest.skip("shared fixtures not available")
    managed = tmp_path / "db"
    entry = vdb.import_zip(managed, "PyPI", PYPA_ZIP)
    assert entry["records"] == 2661 and entry["withdrawn"] > 0
    manifest = vdb.read_manifest(managed)
    assert manifest is not None and set(manifest["ecosystems"]["PyPI"]) >= {
        "url",
        "sha256",
        "downloaded",
        "records",
    }
    answers = []
    for path in (PYPA_ZIP, managed):
        run, inv, ref = _scan(tmp_path, vuln_db=str(path), vuln_db_max_age=100000)
        assert run.status == "ok", run
        answers.append(sorted(r for f in inv.annotations[ref]["vulnerabilities"] for r in f["records"]))
        assert inv.sections["vulnerabilities"]["database"]["kind"] in ("zip", "managed")
    assert answers[0] == answers[1] and set(answers[0]) >= REQUESTS_2_19
    assert vdb.verify_store(managed) == []


def test_missing_database_fails_closed_and_never_says_clean(tmp_path: Path) -> None:
    run, inv, ref = _scan(tmp_path, vuln_db=str(tmp_path / "nope"))
    assert run.status == "failed" and "gate db update" in (run.reason or "")
    section = inv.sections["vulnerabilities"]
    assert section["database"]["status"] == "missing"
    assert [u["reason_code"] for u in section["unchecked"]] == ["no-data"]
    assert "vulnerabilities" not in inv.annotations[ref]
    assert inv.annotations[ref]["vulnerabilities_checked"] is False


def test_corrupt_zip_fails(tmp_path: Path) -> None:
    good = _zip(tmp_path / "all.zip", [_record("PYSEC-1")])
    data = good.read_bytes()
    (tmp_path / "truncated.zip").write_bytes(data[: len(data) // 2])
    run, inv, _ = _scan(tmp_path, vuln_db=str(tmp_path / "truncated.zip"))
    assert run.status == "failed" and "zip" in (run.reason or "")
    assert inv.sections["vulnerabilities"]["summary"]["findings"] == 0
    assert inv.sections["vulnerabilities"]["unchecked"][0]["reason_code"] == "no-data"
    # A zip whose member is not JSON at all.
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        zf.writestr("X.json", "{not json")
    run, _, _ = _scan(tmp_path, vuln_db=str(tmp_path / "bad.zip"))
    assert run.status == "failed" and "X.json" in (run.reason or "")


def test_zip_members_are_checked_like_zipfile_does(tmp_path: Path) -> None:
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("PYSEC-1.json", json.dumps(_record("PYSEC-1")), zipfile.ZIP_STORED)
        zf.writestr("PYSEC-2.json", json.dumps(_record("PYSEC-2")), zipfile.ZIP_DEFLATED)
        zf.writestr("PYSEC-3.json", json.dumps(_record("PYSEC-3")), zipfile.ZIP_BZIP2)  # read by zipfile
    assert [m for m, _ in vdb.iter_zip_records(path)] == ["PYSEC-1.json", "PYSEC-2.json", "PYSEC-3.json"]
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        stored, deflated, _ = zf.infolist()
    body = deflated.header_offset + 30 + len(deflated.filename)
    damaged = {
        # a flipped byte in the deflated data: the CRC-32 (or inflating) fails
        "crc": data[: body + 5] + bytes([data[body + 5] ^ 0xFF]) + data[body + 6 :],
        # the local header names another file than the central directory does
        "name": data.replace(
            b"PK\x03\x04" + data[4:30] + b"PYSEC-1.json", b"PK\x03\x04" + data[4:30] + b"PYSEC-9.json", 1
        ),
    }
    assert stored.header_offset == 0 and damaged["name"] != data
    for why, content in damaged.items():
        (tmp_path / f"{why}.zip").write_bytes(content)
        with pytest.raises(SourceError, match="corrupt member"):
            list(vdb.iter_zip_records(tmp_path / f"{why}.zip"))


def test_half_written_managed_database_is_not_valid(tmp_path: Path) -> None:
    db = tmp_path / "db"
    vdb.import_zip(db, "PyPI", _zip(tmp_path / "all.zip", [_record("PYSEC-1")]))
    manifest = vdb.read_manifest(db)
    assert manifest is not None
    store = db / manifest["ecosystems"]["PyPI"]["store"]
    records = store / "records.jsonl"
    records.write_bytes(records.read_bytes()[:10])  # truncated store, as after a crash
    run, _, _ = _scan(tmp_path, vuln_db=str(db))
    assert run.status == "failed" and "corrupt" in (run.reason or "")
    assert vdb.status(db)["status"] == "corrupt"


def test_damaged_record_in_a_managed_store_fails_and_releases_the_store(tmp_path: Path) -> None:
    db = tmp_path / "db"
    vdb.import_zip(
        db, "PyPI", _zip(tmp_path / "all.zip", [_record("PYSEC-1"), _record("PYSEC-2", "urllib3")])
    )
    opened = vdb.Database.open(db)
    q = [Query("PyPI", "urllib3", "urllib3", "1.0", parse("PyPI", "1.0"))]
    assert [m.id for m in opened.query(q)[q[0]].matches] == ["PYSEC-2"]
    assert opened._maps == {}  # mapped only while a query runs
    manifest = vdb.read_manifest(db)
    assert manifest is not None
    records = db / manifest["ecosystems"]["PyPI"]["store"] / "records.jsonl"
    records.write_bytes(b"X" + records.read_bytes()[1:])  # same size: only the record itself can tell
    damaged = vdb.Database.open(db)
    r = [Query("PyPI", "requests", "requests", "2.19.0", parse("PyPI", "2.19.0"))]
    with pytest.raises(SourceError, match="corrupt record at byte 0"):
        damaged.query(r)
    assert damaged._maps == {}
    run, _, _ = _scan(tmp_path, vuln_db=str(db))
    assert run.status == "failed" and "corrupt record" in (run.reason or "")


def test_interrupted_update_keeps_previous_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "db"
    vdb.import_zip(db, "PyPI", _zip(tmp_path / "v1.zip", [_record("PYSEC-1")]))
    before = (db / vdb.MANIFEST).read_bytes()

    def crash(*a: Any, **k: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(vdb, "_write_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        vdb.import_zip(db, "PyPI", _zip(tmp_path / "v2.zip", [_record("PYSEC-1"), _record("PYSEC-2")]))
    monkeypatch.undo()
    assert (db / vdb.MANIFEST).read_bytes() == before
    opened = vdb.Database.open(db)
    assert opened.records == 1
    # A directory holding only an interrupted first update is "missing", not an empty valid database.
    fresh = tmp_path / "fresh"
    (fresh / ".tmp-store-x").mkdir(parents=True)
    with pytest.raises(SourceError, match="interrupted"):
        vdb.Database.open(fresh)


def test_stale_database_makes_the_run_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "db"
    vdb.import_zip(db, "PyPI", _zip(tmp_path / "all.zip", [_record("PYSEC-1")]))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(4102444800))  # 2100-01-01
    run, inv, ref = _scan(tmp_path, vuln_db=str(db), vuln_db_max_age=7)
    assert run.status == "incomplete" and "days old" in (run.reason or "")
    assert inv.sections["vulnerabilities"]["database"]["status"] == "stale"
    assert inv.sections["vulnerabilities"]["database"]["age_days"] > 7
    # the data it has is still reported
    assert inv.annotations[ref]["vulnerabilities"][0]["id"] == "PYSEC-1"


def test_ecosystem_missing_from_database_is_unchecked(tmp_path: Path) -> None:
    db = tmp_path / "db"
    vdb.import_zip(db, "PyPI", _zip(tmp_path / "all.zip", [_record("PYSEC-1")]))
    c = component("npm", "mcp-remote", "0.1.15")
    inv = inventory(tmp_path, [c], vuln_db=str(db), vuln_db_max_age=100000)
    run = VulnCollector().collect(inv)
    assert run.status == "incomplete"
    (u,) = inv.sections["vulnerabilities"]["unchecked"]
    assert u["reason_code"] == "no-data" and "npm" in u["reason"]


def test_duplicate_ids_keep_latest(tmp_path: Path) -> None:
    d = tmp_path / "recs"
    d.mkdir()
    (d / "a.json").write_text(json.dumps(_record("PYSEC-1", fixed="2.0", modified="2020-01-01T00:00:00Z")))
    (d / "b.json").write_text(json.dumps(_record("PYSEC-1", fixed="3.0", modified="2024-01-01T00:00:00Z")))
    db = vdb.Database.open(d)
    assert db.records == 1 and db.duplicates == 1
    (rec,) = db.records_for("PyPI", "requests")
    assert rec["affected"][0]["ranges"][0]["events"][1]["fixed"] == "3.0"


def test_unchecked_reasons(tmp_path: Path) -> None:
    comps = [
        component("PyPI", "requests", None),
        component("PyPI", "anyio", ">=4", pinned=False),
        component("PyPI", "requests", "not a version!"),
        component("cargo", "serde", "1.0.0"),
    ]
    inv = inventory(
        tmp_path, comps, vuln_db=str(_zip(tmp_path / "all.zip", [_record("PYSEC-1")])), vuln_db_max_age=100000
    )
    run = VulnCollector().collect(inv)
    assert run.status == "ok"
    codes = sorted(u["reason_code"] for u in inv.sections["vulnerabilities"]["unchecked"])
    assert codes == ["no-version", "no-version", "unknown-ecosystem", "unparseable-version"]
    for c in comps:
        assert inv.annotations[c.ref]["vulnerabilities_checked"] is False


class _ZipServer:
    def __init__(self, payload: bytes, md5_ok: bool = True, truncate: bool = False) -> None:
        import base64
        import hashlib

        self.payload, self.truncate = payload, truncate
        md5 = hashlib.md5(payload if md5_ok else b"x", usedforsecurity=False).digest()
        self.goog = f"crc32c=AAAAAA==,md5={base64.b64encode(md5).decode()}"
        self.hits = 0

    def __enter__(self) -> str:
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits += 1
                if not self.path.endswith("/PyPI/all.zip"):
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.payload)))
                self.send_header("x-goog-hash", outer.goog)
                self.end_headers()
                body = outer.payload[: len(outer.payload) // 2] if outer.truncate else outer.payload
                self.wfile.write(body)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.srv.server_address[1]}"

    def __exit__(self, *a: Any) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def _zip_bytes(records: list[dict]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for r in records:
            zf.writestr(f"{r['id']}.json", json.dumps(r))
    return buf.getvalue()


def test_update_downloads_verifies_and_installs(tmp_path: Path) -> None:
    payload = _zip_bytes([_record("PYSEC-1"), _record("PYSEC-2", name="urllib3")])
    seen: list[tuple[int, int | None]] = []
    with _ZipServer(payload) as url:
        entries = vdb.update(
            tmp_path / "db",
            ["PyPI"],
            base_url=url,
            timeout=5,
            progress=lambda eco: lambda done, total: seen.append((done, total)),
        )
    assert entries["PyPI"]["records"] == 2 and entries["PyPI"]["url"].endswith("/PyPI/all.zip")
    assert seen and seen[-1] == (len(payload), len(payload))
    st = vdb.status(tmp_path / "db")
    assert st["status"] == "ok" and st["ecosystems"]["PyPI"]["records"] == 2


@pytest.mark.parametrize("kind", ["md5", "truncated", "404"])
def test_update_failures_leave_no_database(tmp_path: Path, kind: str) -> None:
    payload = _zip_bytes([_record("PYSEC-1")])
    server = _ZipServer(payload, md5_ok=kind != "md5", truncate=kind == "truncated")
    with server as url, pytest.raises(SourceError):
        vdb.update(tmp_path / "db", ["npm" if kind == "404" else "PyPI"], base_url=url, timeout=5)
    assert vdb.read_manifest(tmp_path / "db") is None
    assert vdb.status(tmp_path / "db")["status"] == "missing"
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "db").iterdir())


def test_managed_store_keeps_latest_duplicate(tmp_path: Path) -> None:
    z = tmp_path / "all.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("new.json", json.dumps(_record("PYSEC-1", fixed="3.0", modified="2024-01-01T00:00:00Z")))
        zf.writestr("old.json", json.dumps(_record("PYSEC-1", fixed="2.0", modified="2020-01-01T00:00:00Z")))
        zf.writestr("other.json", json.dumps(_record("PYSEC-2", name="urllib3")))
    entry = vdb.import_zip(tmp_path / "db", "PyPI", z)
    assert entry["records"] == 2 and entry["packages"] == 2
    db = vdb.Database.open(tmp_path / "db")
    (rec,) = db.records_for("PyPI", "requests")
    assert rec["affected"][0]["ranges"][0]["events"][1]["fixed"] == "3.0"
    assert vdb.verify_store(tmp_path / "db") == []
