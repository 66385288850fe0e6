"""A loopback OSV-compatible server for tests and the pip-audit comparison.

Serves ``POST /v1/query`` (what pip-audit calls), ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}`` from a
list of OSV records. Its matching is deliberately independent of gate's: a version is affected when the
record lists it in ``versions`` or when a plain walk of an ``ECOSYSTEM`` range (``packaging`` for PyPI, a
tuple compare for npm) says so. It can be told to fail (``fail_next``) to test retries, and counts requests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


def _npm_key(v: str) -> tuple[Any, ...] | None:
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$", v)
    if not m:
        return None
    pre = m.group(4)
    pre_key: tuple[Any, ...] = (
        (1,) if pre is None else (0, *[(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")])
    )
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key)


def _key(eco: str, v: str) -> Any:
    if eco == "PyPI":
        try:
            return Version(v)
        except InvalidVersion:
            return None
    return _npm_key(v)


def _name(eco: str, n: str) -> str:
    return canonicalize_name(n) if eco == "PyPI" else n.lower()


def affected(record: dict[str, Any], eco: str, name: str, version: str) -> bool:
    if record.get("withdrawn"):
        return False
    want = _key(eco, version)
    for aff in record.get("affected", []):
        pkg = aff.get("package", {})
        if pkg.get("ecosystem") != eco or _name(eco, pkg.get("name", "")) != _name(eco, name):
            continue
        for v in aff.get("versions", []):
            if v == version or (want is not None and _key(eco, v) == want):
                return True
        if want is None:
            continue
        for rng in aff.get("ranges", []):
            if rng.get("type") != "ECOSYSTEM":
                continue
            state = False
            events = []
            for ev in rng.get("events", []):
                ((kind, val),) = ev.items()
                k = None if val == "0" else _key(eco, val)
                if k is None and val != "0":
                    continue  # unparseable bound: ignored
                events.append((k, kind))
            order = {"introduced": 0, "fixed": 1, "last_affected": 2}
            events.sort(
                key=lambda e: (0, 0, order.get(e[1], 3)) if e[0] is None else (1, e[0], order.get(e[1], 3))
            )
            for k, kind in events:
                if kind == "introduced" and (k is None or want >= k):
                    state = True
                elif (kind == "fixed" and want >= k) or (kind == "last_affected" and want > k):
                    state = False
            if state:
                return True
    return False


class FakeOsv:
    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.records = {r["id"]: r for r in records}
        self.by_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self.records.values():
            for aff in r.get("affected", []):
                pkg = aff.get("package", {})
                eco = pkg.get("ecosystem", "")
                self.by_name.setdefault((eco, _name(eco, pkg.get("name", ""))), []).append(r)
        self.requests: list[tuple[str, str]] = []
        self.fail_next = 0
        self.reply_override: Any = None  # a fixed querybatch reply (malformed-reply tests)
        self.fail_status = 503
        self.server: ThreadingHTTPServer | None = None

    def vulns_for(self, eco: str, name: str, version: str) -> list[dict[str, Any]]:
        seen = {}
        for r in self.by_name.get((eco, _name(eco, name)), []):
            if affected(r, eco, name, version):
                seen[r["id"]] = r
        return [seen[k] for k in sorted(seen)]

    def __enter__(self) -> FakeOsv:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _maybe_fail(self) -> bool:
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._send(fake.fail_status, {"error": "injected"})
                    return True
                return False

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                fake.requests.append(("POST", self.path))
                if self._maybe_fail():
                    return
                if self.path == "/v1/query":
                    pkg = body.get("package", {})
                    vulns = fake.vulns_for(
                        pkg.get("ecosystem", ""), pkg.get("name", ""), body.get("version", "")
                    )
                    self._send(200, {"vulns": vulns} if vulns else {})
                elif self.path == "/v1/querybatch" and fake.reply_override is not None:
                    self._send(200, fake.reply_override)
                elif self.path == "/v1/querybatch":
                    results = []
                    for q in body.get("queries", []):
                        pkg = q.get("package", {})
                        vulns = fake.vulns_for(
                            pkg.get("ecosystem", ""), pkg.get("name", ""), q.get("version", "")
                        )
                        results.append(
                            {"vulns": [{"id": v["id"], "modified": v.get("modified")} for v in vulns]}
                            if vulns
                            else {}
                        )
                    self._send(200, {"results": results})
                else:
                    self._send(404, {})

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path))
                if self._maybe_fail():
                    return
                if self.path.startswith("/v1/vulns/"):
                    rid = self.path.rsplit("/", 1)[-1]
                    if rid in fake.records:
                        self._send(200, fake.records[rid])
                        return
                self._send(404, {"code": 5, "message": "Bug not found."})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: Any) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
