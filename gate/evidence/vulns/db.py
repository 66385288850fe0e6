"""The offline vulnerability database.

Three shapes are accepted, all read-only at scan time:

- a **managed database** (a directory with ``manifest.json``) written by ``gate db update``: per ecosystem a
  compact store (``records.jsonl``, one OSV record per line, and ``index.json``, the byte ranges of each
  package's records) so that a scan reads only the records of the packages it checks;
- a **zip** of OSV records (``.json``/``.yaml``), such as OSV's per-ecosystem ``all.zip``;
- a **directory** of OSV records (private advisories, tests).

Updates are atomic: each ecosystem's store is written into a fresh directory named after its content,
then ``manifest.json`` is replaced in one ``os.replace`` (the commit point). An interrupted update leaves
the previous manifest, or none (a missing database), never a half-written store that looks valid; a store
whose files do not match the manifest's sizes is reported as corrupt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import mmap
import os
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gate import clock
from gate.errors import InputError
from gate.evidence.vulns.common import default_path as default_path
from gate.evidence.vulns.common import no_database, no_gc
from gate.evidence.vulns.osv import affected_version_keys, match, package_keys
from gate.evidence.vulns.source import Answer, Query, SourceError
from gate.safeio import parse_yaml

MANIFEST = "manifest.json"
DB_SCHEMA = "gate/vulndb/v2"
VKEYS = "_gate_version_keys"  # per-record field of the managed store only; removed when a record is read
OSV_BUCKET = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = ("PyPI", "npm")
MAX_RECORD_BYTES = 16 * 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip member's local file header (APPNOTE 4.3.7)
MAX_ZIP_MEMBERS = 2_000_000
MAX_ZIP_TOTAL = 8 * 1024 * 1024 * 1024


def _parse_time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _age_days(when: dt.datetime | None) -> float | None:
    if when is None:
        return None
    return round(max(0.0, (clock.now() - when).total_seconds() / 86400), 2)


def parse_record(data: bytes, shown: str) -> dict[str, Any] | None:
    """One OSV record from JSON or YAML bytes; ``None`` for files that are not records (no ``id``).

    JSON goes straight to the C parser (size-bounded above; absurd nesting raises RecursionError, caught
    here): the per-character safety scan of ``gate.safeio`` would cost more than the whole database load.
    YAML goes through ``gate.safeio`` (alias bombs)."""
    if len(data) > MAX_RECORD_BYTES:
        raise SourceError(f"{shown}: record larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
    try:
        if shown.endswith((".yaml", ".yml")):
            value = parse_yaml(data.decode("utf-8-sig"), shown)
        else:
            value = json.loads(data)
    except UnicodeDecodeError as e:
        raise SourceError(f"{shown}: not valid UTF-8") from e
    except RecursionError as e:
        raise SourceError(f"{shown}: nested too deeply") from e
    except ValueError as e:
        raise SourceError(f"{shown}: invalid JSON ({e})") from e
    except InputError as e:
        raise SourceError(e.diagnostics()) from e
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    if shown.endswith((".yaml", ".yml")):
        value = _yaml_times_as_strings(value)
    return value


def _yaml_times_as_strings(value: Any) -> Any:
    """YAML reads unquoted timestamps (``modified: 2020-01-16T13:15:00Z``) as datetimes; OSV fields are
    RFC 3339 strings, as in the JSON records."""
    if isinstance(value, dict):
        return {k: _yaml_times_as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_yaml_times_as_strings(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        text = value.isoformat()
        return text + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def iter_zip_records(path: Path, shown: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(member name, record) for every OSV record in a zip; a corrupt or hostile zip is a SourceError."""
    name = shown or str(path)
    with contextlib.ExitStack() as stack:
        try:
            zf = stack.enter_context(zipfile.ZipFile(path))
            fh = stack.enter_context(path.open("rb"))
            mapped = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise SourceError(f"{name}: not a readable zip ({e})") from e
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise SourceError(f"{name}: too many members ({len(infos)})")
        if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL:
            raise SourceError(f"{name}: uncompressed size is too large")
        for info in infos:
            if info.is_dir() or not info.filename.endswith((".json", ".yaml", ".yml")):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                raise SourceError(f"{name}!{info.filename}: record larger than the limit")
            try:
                data = _member_bytes(mapped, info)
                if data is None:
                    data = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as e:
                raise SourceError(f"{name}!{info.filename}: corrupt member ({e})") from e
            record = parse_record(data, f"{name}!{info.filename}")
            if record is not None:
                yield info.filename, record


def _member_bytes(archive: mmap.mmap, info: zipfile.ZipInfo) -> bytes | None:
    """A stored or deflated member read straight from the mapped archive, with the checks ``zipfile`` makes
    (local header, name, size, CRC-32; output bounded by the declared size); ``None`` for what only
    ``zipfile`` reads (encrypted, other compressions). ``ZipFile.read`` costs as much again as inflating:
    a file object, a lock and a buffer per member."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    header = archive[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
    begin = start + _LOCAL_HEADER.size
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if archive[begin : begin + name_length] != info.orig_filename.encode(encoding):
        raise zipfile.BadZipFile("local and central directory names differ")
    begin += name_length + extra_length
    raw = archive[begin : begin + info.compress_size]
    if len(raw) != info.compress_size:
        raise zipfile.BadZipFile("truncated member")
    if info.compress_type == zipfile.ZIP_DEFLATED:
        data = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
    else:
        data = raw
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile("size or CRC-32 does not match the directory")
    return data


def iter_dir_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and p.suffix in (".json", ".yaml", ".yml")
        and p.name != MANIFEST
    )
    for p in files:
        rel = p.relative_to(path).as_posix()
        try:
            data = p.read_bytes() if p.stat().st_size <= MAX_RECORD_BYTES else b"x" * (MAX_RECORD_BYTES + 1)
        except OSError as e:
            raise SourceError(f"{p}: cannot read ({e.strerror})") from e
        record = parse_record(data, str(p))
        if record is not None:
            yield rel, record


class Database:
    """An offline OSV database, indexed by (ecosystem, normalised package name)."""

    kind = "offline"

    def __init__(self, path: Path, shape: str) -> None:
        self.path = path
        self.shape = shape  # managed | zip | directory
        self.index: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.ecosystems: dict[str, dict[str, Any]] = {}  # per ecosystem: records, downloaded, url, ...
        self.records = 0
        self.withdrawn = 0
        self.duplicates = 0
        self.as_of: dt.datetime | None = None
        self.max_age_days: float | None = None
        # managed stores: per ecosystem (file handle path, {name: [[offset, length], ...]})
        self._lazy: dict[str, tuple[Path, dict[str, list[list[int]]]]] = {}
        self._maps: dict[str, mmap.mmap] = {}  # per ecosystem: records.jsonl, mapped while a query runs
        # Parsed ``versions`` lists of the records this database holds (alive as long as it is).
        self._vcache: dict[int, Any] = {}
        self._files: dict[str, str] = {}  # record id -> file or zip member it came from

    # -- loading ---------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> Database:
        """Open whichever shape ``path`` is; a missing, corrupt or half-written database is a SourceError."""
        if not path.exists():
            raise SourceError(no_database(path))
        if path.is_file():
            db = cls(path, "zip")
            with no_gc():
                db._add_records(iter_zip_records(path), origin=path.name)
            return db
        if (path / MANIFEST).is_file():
            db = cls(path, "managed")
            db._open_managed()
            return db
        leftovers = [p.name for p in path.iterdir() if p.name.startswith(".tmp-")]
        db = cls(path, "directory")
        with no_gc():
            db._add_records(iter_dir_records(path), origin=path.name)
        if db.records == 0:
            why = " (an interrupted `gate db update` left only temporary files)" if leftovers else ""
            raise SourceError(f"{path}: no OSV records and no {MANIFEST}{why}; run `gate db update`")
        return db

    def _add_records(self, items: Iterator[tuple[str, dict[str, Any]]], origin: str) -> None:
        by_id: dict[str, dict[str, Any]] = {}
        for member, record in items:
            rid = record["id"]
            prev = by_id.get(rid)
            if prev is not None:
                self.duplicates += 1
                # Keep the most recently modified copy of a duplicated id.
                if str(record.get("modified", "")) <= str(prev.get("modified", "")):
                    continue
            by_id[rid] = record
            self._files[rid] = member
        newest: dt.datetime | None = None
        for rid in sorted(by_id):
            record = by_id[rid]
            if record.get("withdrawn"):
                self.withdrawn += 1
            self.records += 1
            t = _parse_time(record.get("modified"))
            if t and (newest is None or t > newest):
                newest = t
            for key in package_keys(record):
                self.index.setdefault(key, []).append(record)
                eco = self.ecosystems.setdefault(key[0], {"records": 0})
                eco["records"] += 1
        self.as_of = newest

    def _open_managed(self) -> None:
        manifest_path = self.path / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SourceError(f"{manifest_path}: unreadable manifest ({e})") from e
        if not isinstance(manifest, dict) or manifest.get("schema") != DB_SCHEMA:
            raise SourceError(f"{manifest_path}: not a {DB_SCHEMA} manifest; run `gate db update`")
        ecosystems = manifest.get("ecosystems")
        if not isinstance(ecosystems, dict) or not ecosystems:
            raise SourceError(f"{manifest_path}: lists no ecosystems")
        oldest: dt.datetime | None = None
        for eco, entry in sorted(ecosystems.items()):
            if not isinstance(entry, dict):
                raise SourceError(f"{manifest_path}: bad entry for {eco}")
            store = self.path / str(entry.get("store", ""))
            files = entry.get("files") or {}
            for fname in ("records.jsonl", "index.json"):
                f = store / fname
                expected = (files.get(fname) or {}).get("size")
                if not f.is_file():
                    raise SourceError(f"{f}: missing (half-written database); run `gate db update`")
                if expected is None or f.stat().st_size != expected:
                    raise SourceError(
                        f"{f}: size does not match the manifest (corrupt); run `gate db update`"
                    )
            try:
                index = json.loads((store / "index.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise SourceError(f"{store / 'index.json'}: corrupt ({e})") from e
            self._lazy[eco] = (store / "records.jsonl", index)
            downloaded = _parse_time(entry.get("downloaded"))
            if downloaded and (oldest is None or downloaded < oldest):
                oldest = downloaded
            self.records += int(entry.get("records", 0))
            self.withdrawn += int(entry.get("withdrawn", 0))
            self.ecosystems[eco] = {
                k: entry.get(k) for k in ("records", "withdrawn", "url", "sha256", "downloaded", "size")
            }
            url = str(entry.get("url") or "")
            if url.startswith("file://"):  # an imported local file: its name, not this machine's path
                self.ecosystems[eco]["url"] = "file://" + url.rsplit("/", 1)[-1]
        self.as_of = oldest

    def records_for(self, ecosystem: str, key: str) -> list[dict[str, Any]]:
        found = self.index.get((ecosystem, key))
        if found is not None:
            return found
        lazy = self._lazy.get(ecosystem)
        if lazy is None:
            return []
        store, index = lazy
        spans = index.get(key) or []
        out: list[dict[str, Any]] = []
        if spans:
            data = self._mapped(ecosystem, store)
            for offset, length in spans:
                try:
                    record = json.loads(data[offset : offset + length])
                except ValueError as e:
                    raise SourceError(f"{store}: corrupt record at byte {offset}") from e
                vkeys = record.pop(VKEYS, None)
                if isinstance(vkeys, list):
                    for aff, keys in zip(record.get("affected") or (), vkeys, strict=False):
                        if isinstance(keys, list):
                            self._vcache[id(aff)] = keys
                out.append(record)
        self.index[(ecosystem, key)] = out
        return out

    def _mapped(self, ecosystem: str, store: Path) -> mmap.mmap:
        """The ecosystem's ``records.jsonl`` mapped into memory, for the duration of a query: a record is a
        slice of it (a file read per record costs more than decoding it)."""
        mapped = self._maps.get(ecosystem)
        if mapped is None:
            try:
                with store.open("rb") as fh:
                    mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as e:
                raise SourceError(f"{store}: unreadable ({e})") from e
            self._maps[ecosystem] = mapped
        return mapped

    def _unmap(self) -> None:
        for mapped in self._maps.values():
            mapped.close()
        self._maps.clear()

    def covers(self, ecosystem: str) -> bool:
        return ecosystem in self.ecosystems

    # -- the VulnSource interface ----------------------------------------------------------------------
    def query(self, queries: Sequence[Query]) -> dict[Query, Answer]:
        try:
            return self._query(queries)
        finally:
            self._unmap()

    def _query(self, queries: Sequence[Query]) -> dict[Query, Answer]:
        out: dict[Query, Answer] = {}
        for q in queries:
            if not self.covers(q.ecosystem):
                # No record of this ecosystem at all: the database cannot vouch for it.
                out[q] = Answer(
                    unchecked=f"the database has no {q.ecosystem} data (gate db update --ecosystem {q.ecosystem})"
                )
                continue
            matches = []
            for record in self.records_for(q.ecosystem, q.key):
                m = match(record, q.ecosystem, q.key, q.version_text, q.version, self._vcache)
                if m is not None:
                    matches.append(m)
            out[q] = Answer(matches=matches)
        return out

    def describe(self) -> dict[str, Any]:
        age = _age_days(self.as_of)
        status = "ok"
        if self.max_age_days is not None and age is not None and age > self.max_age_days:
            status = "stale"
        return {
            "kind": self.shape,
            "path": self.path.name,  # a name, not an absolute path: the evidence is machine-independent
            "as_of": clock.iso(self.as_of) if self.as_of else None,
            "age_days": age,
            "records": self.records,
            "withdrawn": self.withdrawn,
            "duplicates": self.duplicates,
            "ecosystems": {k: dict(sorted(v.items())) for k, v in sorted(self.ecosystems.items())},
            "status": status,
        }

    def source_of(self, record: dict[str, Any]) -> dict[str, Any]:
        out = {"kind": self.shape, "database": self.path.name}
        member = self._files.get(str(record.get("id")))
        if member:
            out["file"] = member
        return out


# -- building and updating a managed database --------------------------------------------------------------


def build_store(records: Iterator[tuple[str, dict[str, Any]]], ecosystem: str, dest: Path) -> dict[str, Any]:
    """Write ``records.jsonl`` and ``index.json`` for one ecosystem into ``dest``; return counts and file
    digests for the manifest.

    Streams: each record is written as it is read (OSV's npm ``all.zip`` holds hundreds of thousands), so
    memory holds the index, not the records. A duplicated id keeps the copy with the latest ``modified``: the
    index points at it and the older line is left unreferenced."""
    dest.mkdir(parents=True, exist_ok=True)
    spans: dict[str, tuple[int, int, str, tuple[str, ...], bool]] = {}  # id -> offset, length, modified, keys
    offset = 0
    digest = hashlib.sha256()
    with (dest / "records.jsonl").open("wb") as fh:
        for _, record in records:
            rid = record["id"]
            modified = str(record.get("modified", ""))
            prev = spans.get(rid)
            if prev is not None and modified <= prev[2]:
                continue
            keys = tuple(sorted(k for e, k in package_keys(record) if e == ecosystem))
            # Precomputed version keys of each affected entry's ``versions`` list (aligned by index).
            vkeys = [
                affected_version_keys(aff, ecosystem)
                if isinstance(aff, dict)
                and isinstance(aff.get("package"), dict)
                and str(aff["package"].get("ecosystem", "")).split(":", 1)[0] == ecosystem
                else None
                for aff in record.get("affected") or ()
            ]
            stored = {**record, VKEYS: vkeys}
            line = (
                json.dumps(stored, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode() + b"\n"
            )
            fh.write(line)
            digest.update(line)
            spans[rid] = (offset, len(line) - 1, modified, keys, bool(record.get("withdrawn")))
            offset += len(line)
        fh.flush()
        os.fsync(fh.fileno())
    index: dict[str, list[list[int]]] = {}
    for rid in sorted(spans):
        start, length, _, keys, _ = spans[rid]
        for k in keys:
            index.setdefault(k, []).append([start, length])
    index_bytes = json.dumps(dict(sorted(index.items())), separators=(",", ":")).encode()
    with (dest / "index.json").open("wb") as fh:
        fh.write(index_bytes)
        fh.flush()
        os.fsync(fh.fileno())
    files = {
        "records.jsonl": {"size": offset, "sha256": digest.hexdigest()},
        "index.json": {"size": len(index_bytes), "sha256": hashlib.sha256(index_bytes).hexdigest()},
    }
    withdrawn = sum(1 for v in spans.values() if v[4])
    return {"records": len(spans), "withdrawn": withdrawn, "packages": len(index), "files": files}


def read_manifest(db: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((db / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and value.get("schema") == DB_SCHEMA else None


def _write_manifest(db: Path, manifest: dict[str, Any]) -> None:
    import tempfile  # loaded by updates only: a scan never writes

    fd, tmp = tempfile.mkstemp(prefix=".tmp-manifest-", dir=db)
    with os.fdopen(fd, "wb") as fh:
        fh.write(json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, db / MANIFEST)
    try:
        dirfd = os.open(db, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    except OSError:
        pass


def install_zip(
    db: Path, ecosystem: str, zip_path: Path, *, url: str, sha256: str, downloaded: str, size: int
) -> dict[str, Any]:
    """Turn a verified ``all.zip`` into a store of ``db`` and commit it in the manifest (atomically)."""
    import tempfile

    db.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-store-", dir=db))
    try:
        stats = build_store(iter_zip_records(zip_path, shown=url), ecosystem, tmp)
        if stats["records"] == 0:
            raise SourceError(f"{url}: holds no OSV records")
        store_name = f"{ecosystem}-{sha256[:16]}"
        final = db / store_name
        os.chmod(tmp, 0o755)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest = read_manifest(db) or {"schema": DB_SCHEMA, "ecosystems": {}}
    old = manifest["ecosystems"].get(ecosystem, {}).get("store")
    entry = {
        "store": store_name,
        "url": url,
        "sha256": sha256,
        "size": size,
        "downloaded": downloaded,
        **stats,
    }
    manifest["ecosystems"][ecosystem] = entry
    manifest["updated"] = downloaded
    _write_manifest(db, manifest)
    if old and old != store_name:
        shutil.rmtree(db / old, ignore_errors=True)
    _clean_leftovers(db)
    return entry


def _clean_leftovers(db: Path) -> None:
    for p in db.iterdir():
        if p.name.startswith(".tmp-store-") or p.name.startswith(".tmp-download-"):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def verify_store(db: Path) -> list[str]:
    """Problems found by re-hashing every file against the manifest (``gate db status --verify``)."""
    manifest = read_manifest(db)
    if manifest is None:
        return [f"{db / MANIFEST}: missing or unreadable"]
    problems = []
    for eco, entry in sorted(manifest.get("ecosystems", {}).items()):
        for fname, meta in sorted((entry.get("files") or {}).items()):
            f = db / entry.get("store", "") / fname
            try:
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
            except OSError as e:
                problems.append(f"{eco}: {f}: {e.strerror}")
                continue
            if digest != meta.get("sha256"):
                problems.append(f"{eco}: {f}: sha256 does not match the manifest")
    return problems


Progress = Callable[[int, int | None], None]


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    progress: Progress | None = None,
    session: Any = None,
) -> tuple[str, int]:
    """Download ``url`` to ``dest``; return (sha256, size). Verifies the length and, when the server sends
    one (Google Cloud Storage does), the ``x-goog-hash`` MD5; retries transient failures."""
    import base64
    import time

    import requests

    sess = session or requests.Session()
    last: Exception | None = None
    for attempt in range(retries):
        try:
            with sess.get(url, stream=True, timeout=timeout) as resp:
                if resp.status_code == 404:
                    raise SourceError(f"{url}: not found (404)")
                resp.raise_for_status()
                total = int(resp.headers["content-length"]) if "content-length" in resp.headers else None
                sha = hashlib.sha256()
                md5 = hashlib.md5(usedforsecurity=False)
                size = 0
                with dest.open("wb") as fh:
                    for chunk in resp.iter_content(chunk_size=1 << 16):
                        fh.write(chunk)
                        sha.update(chunk)
                        md5.update(chunk)
                        size += len(chunk)
                        if progress:
                            progress(size, total)
                    fh.flush()
                    os.fsync(fh.fileno())
                if total is not None and size != total:
                    raise SourceError(f"{url}: truncated download ({size} of {total} bytes)")
                for part in resp.headers.get("x-goog-hash", "").split(","):
                    k, _, v = part.strip().partition("=")
                    if k == "md5" and v and base64.b64decode(v + "==") != md5.digest():
                        raise SourceError(f"{url}: MD5 does not match the server's x-goog-hash")
                return sha.hexdigest(), size
        except SourceError as e:
            last = e
            if "404" in str(e):
                break
        except requests.RequestException as e:
            last = e
        if attempt + 1 < retries:
            time.sleep(min(4.0, 0.5 * 2**attempt))
    raise SourceError(f"{url}: download failed: {last}")


def update(
    db: Path,
    ecosystems: Sequence[str] = DEFAULT_ECOSYSTEMS,
    *,
    base_url: str = OSV_BUCKET,
    timeout: float = 60.0,
    progress: Callable[[str], Progress] | None = None,
    session: Any = None,
) -> dict[str, dict[str, Any]]:
    """Download and install each ecosystem's ``all.zip``; return the manifest entries written."""
    import tempfile

    db.mkdir(parents=True, exist_ok=True)
    results = {}
    for eco in ecosystems:
        url = f"{base_url.rstrip('/')}/{eco}/all.zip"
        fd, tmpname = tempfile.mkstemp(prefix=".tmp-download-", suffix=".zip", dir=db)
        os.close(fd)
        tmp = Path(tmpname)
        try:
            sha, size = download(
                url, tmp, timeout=timeout, progress=progress(eco) if progress else None, session=session
            )
            results[eco] = install_zip(db, eco, tmp, url=url, sha256=sha, downloaded=_wall_clock(), size=size)
        finally:
            tmp.unlink(missing_ok=True)
    return results


def import_zip(db: Path, ecosystem: str, zip_path: Path) -> dict[str, Any]:
    """Install a local ``all.zip`` (air-gapped mirrors, tests) as if it had been downloaded."""
    data_sha = hashlib.sha256()
    size = 0
    with zip_path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            data_sha.update(chunk)
            size += len(chunk)
    return install_zip(
        db,
        ecosystem,
        zip_path,
        url=zip_path.resolve().as_uri(),
        sha256=data_sha.hexdigest(),
        downloaded=_wall_clock(),
        size=size,
    )


def _wall_clock() -> str:
    # When data was fetched is a fact about the world, not about the build: never SOURCE_DATE_EPOCH.
    return dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(db: Path) -> dict[str, Any]:
    """What ``gate db status`` prints: per ecosystem the age, record count and source."""
    manifest = read_manifest(db)
    if manifest is None:
        return {"path": str(db), "status": "missing", "ecosystems": {}}
    try:
        opened = Database.open(db)
    except SourceError as e:
        return {"path": str(db), "status": "corrupt", "error": str(e), "ecosystems": {}}
    ecos = {}
    for eco, entry in sorted(manifest.get("ecosystems", {}).items()):
        ecos[eco] = {
            "records": entry.get("records"),
            "withdrawn": entry.get("withdrawn"),
            "packages": entry.get("packages"),
            "downloaded": entry.get("downloaded"),
            "age_days": _age_days(_parse_time(entry.get("downloaded"))),
            "url": entry.get("url"),
            "sha256": entry.get("sha256"),
        }
    return {"path": str(db), "status": "ok", "records": opened.records, "ecosystems": ecos}
