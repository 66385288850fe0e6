"""The online OSV API as a vulnerability source: ``/v1/querybatch`` for which ids affect each package
version, then ``/v1/vulns/{id}`` for the full records (aliases, ranges, severity, fixed versions).

Batched (at most 1,000 queries per request, as the API allows), with retries and a timeout; full records
are cached on disk by id and ``modified`` time, so a second run only asks the batch question. A query the
API could not answer is reported as unchecked, never as "no vulnerabilities".
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gate.evidence.vulns.osv import Match, match
from gate.evidence.vulns.source import Answer, Query, SourceError

DEFAULT_API = "https://api.osv.dev"
BATCH = 1000


def default_cache() -> Path:
    from gate.hashing import cache_dir

    return cache_dir() / "osv-api"


class ApiSource:
    kind = "osv-api"

    def __init__(
        self,
        url: str = DEFAULT_API,
        *,
        cache_dir: Path | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        session: Any = None,
    ) -> None:
        import requests

        self.url = url.rstrip("/")
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.retries = retries
        self.session = session or requests.Session()
        self.requests_made = 0
        self.cache_hits = 0
        self.errors: list[str] = []
        self._records: dict[str, dict[str, Any]] = {}
        self._vcache: dict[int, Any] = {}
        self._answers: dict[Query, Answer] = {}

    # -- HTTP ------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        import requests

        last: Exception | None = None
        for attempt in range(self.retries):
            try:
                self.requests_made += 1
                resp = self.session.request(
                    method,
                    f"{self.url}{path}",
                    json=body,
                    timeout=self.timeout,
                    headers={"User-Agent": "gate (+https://github.com/)"},
                )
                if resp.status_code == 404:
                    return None
                if resp.status_code in (429, 500, 502, 503, 504):
                    last = SourceError(f"{path}: HTTP {resp.status_code}")
                else:
                    resp.raise_for_status()
                    return resp.json()
            except (requests.RequestException, ValueError) as e:
                last = e
            if attempt + 1 < self.retries:
                time.sleep(min(2.0, 0.2 * 2**attempt))
        raise SourceError(f"OSV API {self.url}{path} failed after {self.retries} attempts: {last}")

    # -- the record cache ------------------------------------------------------------------------------
    def _cache_file(self, vid: str) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(vid.encode()).hexdigest()[:32]
        return self.cache_dir / "vulns" / f"{digest}.json"

    def record(self, vid: str, modified: str | None) -> dict[str, Any] | None:
        if vid in self._records:
            return self._records[vid]
        cached = self._cache_file(vid)
        if cached is not None and cached.is_file():
            try:
                value = json.loads(cached.read_text(encoding="utf-8"))
                if (
                    isinstance(value, dict)
                    and value.get("id") == vid
                    and (modified is None or str(value.get("modified", "")) >= modified)
                ):
                    self.cache_hits += 1
                    self._records[vid] = value
                    return value
            except (OSError, ValueError):
                pass
        value = self._call("GET", f"/v1/vulns/{vid}")
        if not isinstance(value, dict) or value.get("id") != vid:
            return None
        self._records[vid] = value
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text(json.dumps(value, sort_keys=True), encoding="utf-8")
            os.replace(tmp, cached)
        return value

    # -- the VulnSource interface ----------------------------------------------------------------------
    def query(self, queries: Sequence[Query]) -> dict[Query, Answer]:
        out: dict[Query, Answer] = {}
        # Answers are kept for the run: pip-audit's fix resolution asks about single versions again.
        todo = []
        for q in queries:
            if q in self._answers:
                out[q] = self._answers[q]
            else:
                todo.append(q)
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            body = {
                "queries": [
                    {"package": {"ecosystem": q.ecosystem, "name": q.name}, "version": q.version_text}
                    for q in chunk
                ]
            }
            try:
                reply = self._call("POST", "/v1/querybatch", body)
                results = reply.get("results") if isinstance(reply, dict) else None
                if not isinstance(results, list) or len(results) != len(chunk):
                    raise SourceError("OSV API querybatch returned a malformed reply")
            except SourceError as e:
                self.errors.append(str(e))
                for q in chunk:
                    out[q] = Answer(unchecked=f"OSV API unavailable: {e}")
                continue
            for q, result in zip(chunk, results, strict=True):
                out[q] = self._answers[q] = self._answer(q, result)
        return out

    def _answer(self, q: Query, result: Any) -> Answer:
        if isinstance(result, dict) and result.get("next_page_token"):
            return Answer(unchecked="OSV API reply was paginated beyond the first page")
        vulns = result.get("vulns") if isinstance(result, dict) else None
        matches: list[Match] = []
        for v in vulns or ():
            if not isinstance(v, dict) or not isinstance(v.get("id"), str):
                continue
            try:
                record = self.record(v["id"], v.get("modified"))
            except SourceError as e:
                self.errors.append(str(e))
                return Answer(unchecked=f"OSV API record {v['id']} unavailable: {e}")
            if record is None:
                return Answer(unchecked=f"OSV API has no record {v['id']}")
            m = match(record, q.ecosystem, q.key, q.version_text, q.version, self._vcache)
            if m is None and not record.get("withdrawn"):
                # The server says it matches; keep its word (our ranges may lack data it has).
                m = Match(
                    record=record, fixed=(), notes=("matched by the OSV API; not by the record's ranges",)
                )
            if m is not None:
                matches.append(m)
        return Answer(matches=matches)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "osv-api",
            "url": self.url,
            "as_of": None,
            "age_days": 0.0,
            "records": len(self._records),
            "requests": self.requests_made,
            "cache_hits": self.cache_hits,
            "status": "ok" if not self.errors else "unreachable",
        }

    def source_of(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "osv-api", "url": f"{self.url}/v1/vulns/{record.get('id')}"}
