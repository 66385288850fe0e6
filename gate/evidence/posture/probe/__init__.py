"""Live probe of a streamable HTTP MCP server on loopback (opt-in: ``gate probe URL`` or
``gate check --probe --url URL | --launch CMD``).

The probe never sends traffic anywhere but 127.0.0.1 / ::1 (:func:`http.loopback_target` refuses anything
else), follows no redirects, bounds every exchange in time and size, and records each exchange, tokens
redacted, as the evidence of its result.

With ``--launch`` the gate starts the server itself (the user opts in to running it) with these variables:

``PORT`` / ``MCP_PORT`` / ``HOST`` / ``MCP_HOST``
    where to listen (always 127.0.0.1);
``MCP_SERVER_URL`` / ``MCP_AUTH_AUDIENCE``
    the server's own URL, the audience its tokens must carry;
``MCP_AUTH_ISSUER`` / ``MCP_AUTH_JWKS_URL``
    the gate's throwaway authorization server, so the token checks can run when the server trusts it;
``HTTP_PROXY`` / ``HTTPS_PROXY`` (and lower case), ``NO_PROXY=127.0.0.1,localhost,::1``
    a recording proxy that answers every outbound request itself and shows whether the client's token
    left the server.

``{port}`` and ``{url}`` in the launch command are replaced by the same values.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gate import __version__
from gate.errors import UsageError
from gate.evidence.posture.probe.http import Exchange, loopback_target, request
from gate.evidence.posture.probe.servers import AuthorizationServer, RecordingProxy
from gate.record import Record

PROTOCOL_VERSION = "2025-11-25"
FOREIGN_ORIGIN = "http://gate-probe.invalid"
OTHER_AUDIENCE = "https://other-resource.invalid/api"
MIN_SESSION_BITS = 96

# check id -> (rule short name judged by policies/posture, title)
CHECKS: dict[str, tuple[str, str]] = {
    "auth_required": ("probe_unauthenticated", "Unauthenticated requests are refused"),
    "www_authenticate": ("probe_www_authenticate", "401 names the protected resource metadata"),
    "resource_metadata": ("probe_resource_metadata", "Protected resource metadata is valid and matches"),
    "token_accepted": ("probe_valid_token", "A valid token from the trusted issuer is accepted"),
    "token_audience": ("probe_token_audience", "A token for another audience is refused"),
    "token_expired": ("probe_token_expired", "An expired token is refused"),
    "token_scope": ("probe_token_scope", "A token without the required scope is refused"),
    "session_id": ("probe_session_id", "Session IDs are high-entropy and not sequential"),
    "session_binding": ("probe_session_binding", "A session is not usable without the owner's token"),
    "origin": ("probe_origin", "A foreign Origin is refused"),
    "token_passthrough": ("probe_token_passthrough", "Outbound requests never carry the client's token"),
}


@dataclass(repr=False)
class ProbeResult(Record):
    check: str
    status: str  # pass | fail | skipped | error
    message: str
    exchanges: list[Exchange] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, redact: Any = None) -> dict[str, Any]:
        rule, title = CHECKS[self.check]
        red = redact or (lambda s: s)
        out: dict[str, Any] = {
            "check": self.check,
            "rule": rule,
            "title": title,
            "status": self.status,
            "message": self.message,
            "evidence": [e.to_json(red) for e in self.exchanges],
        }
        if self.extra:
            out["details"] = self.extra
        return out


@dataclass(repr=False)
class ProbeReport(Record):
    url: str
    results: list[ProbeResult]
    error: str | None = None
    redactor: Any = None

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json(self.redactor) for r in self.results]

    @property
    def failed(self) -> list[ProbeResult]:
        return [r for r in self.results if r.status == "fail"]


class Redactor:
    """Replaces every token the probe minted (and any other bearer value) with a label."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def add(self, token: str, label: str) -> str:
        self.labels[token] = label
        return token

    def __call__(self, text: Any) -> Any:
        if not isinstance(text, str):
            return text
        for token, label in self.labels.items():
            text = text.replace(token, f"<{label} token>")
        return re.sub(r"(?i)(bearer\s+)(?!<)[A-Za-z0-9._~+/=-]{8,}", r"\1<redacted>", text)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return f"the launched server exited with status {proc.returncode} before listening"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return None
        time.sleep(0.05)
    return f"the launched server did not listen on 127.0.0.1:{port} within {timeout:.0f} s"


def session_bits(ids: list[str]) -> float:
    """Estimated entropy of one session ID from its length and alphabet."""
    sample = "".join(ids)
    if not sample:
        return 0.0
    core = [i.replace("-", "") for i in ids]
    joined = "".join(core)
    if re.fullmatch(r"[0-9]+", joined):
        alphabet = 10
    elif re.fullmatch(r"[0-9a-f]+", joined) or re.fullmatch(r"[0-9A-F]+", joined):
        alphabet = 16
    elif re.fullmatch(r"[0-9A-Za-z]+", joined):
        alphabet = 62
    else:
        alphabet = 64
    shortest = min(len(c) for c in core)
    bits = shortest * math.log2(alphabet)
    # characters that never vary across the sample carry no entropy
    constant = sum(1 for col in zip(*core, strict=False) if len(set(col)) == 1) if len(core) > 1 else 0
    if len(core) >= 3:
        bits -= constant * math.log2(alphabet) * 0.5
    if all(
        re.fullmatch(r"[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}", i, re.I)
        for i in ids
    ):
        bits = max(bits, 122.0)
    return bits


def sequential(ids: list[str]) -> bool:
    """IDs that differ only in a number that grows by small steps (``session-1001``, ``session-1002``), or
    hexadecimal IDs that are consecutive numbers."""
    nums: list[int] = []
    shapes = set()
    for i in ids:
        m = re.fullmatch(r"(.*?)(\d+)(\D*)", i)
        if not m:
            return False
        shapes.add((m.group(1), m.group(3)))
        nums.append(int(m.group(2)))
    if len(shapes) != 1 and all(re.fullmatch(r"[0-9a-fA-F]+", i) for i in ids):
        nums = [int(i, 16) for i in ids]
    elif len(shapes) != 1:
        return False
    diffs = [b - a for a, b in itertools.pairwise(nums)]
    return bool(diffs) and all(0 < d < 1_000_000 for d in diffs)


def uuid1_like(ids: list[str]) -> bool:
    return bool(ids) and all(
        re.fullmatch(r"[0-9a-f]{8}-?[0-9a-f]{4}-?1[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}", i, re.I)
        for i in ids
    )


class Probe:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 3.0,
        auth: AuthorizationServer | None = None,
        proxy: RecordingProxy | None = None,
        tools: tuple[str, ...] = (),
    ) -> None:
        loopback_target(url)  # refuse before anything is sent
        self.url = url
        self.timeout = timeout
        self.auth = auth
        self.proxy = proxy
        self.tools = tools
        self.redact = Redactor()
        self.results: list[ProbeResult] = []
        self.broken: str | None = None
        self._id = 0
        self.scope: str = ""
        self.trusted = False

    # -- plumbing ----------------------------------------------------------------------------------
    def send(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        session: str | None = None,
        origin: str | None = None,
        url: str | None = None,
    ) -> Exchange:
        headers = {"Accept": "application/json, text/event-stream", "User-Agent": f"gate-probe/{__version__}"}
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if session:
            headers["Mcp-Session-Id"] = session
            headers["MCP-Protocol-Version"] = PROTOCOL_VERSION
        if origin:
            headers["Origin"] = origin
        return request(method, url or self.url, headers, body, timeout=self.timeout)

    def rpc(
        self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        if not notify:
            self._id += 1
            msg["id"] = self._id
        return msg

    def initialize(self, **kw: Any) -> Exchange:
        return self.send(
            "POST",
            self.rpc(
                "initialize",
                {
                    "protocolVersion": PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "gate-probe", "version": __version__},
                },
            ),
            **kw,
        )

    def open_session(self, token: str | None) -> tuple[str | None, list[Exchange]]:
        ex = self.initialize(token=token)
        sid = ex.header("mcp-session-id")
        exchanges = [ex]
        if sid and ex.status is not None and 200 <= ex.status < 300:
            exchanges.append(
                self.send(
                    "POST", self.rpc("notifications/initialized", notify=True), token=token, session=sid
                )
            )
        return sid, exchanges

    def add(
        self, check: str, status: str, message: str, exchanges: list[Exchange] | None = None, **extra: Any
    ) -> None:
        self.results.append(ProbeResult(check, status, message, exchanges or [], extra))

    def transport_error(self, ex: Exchange) -> str | None:
        if ex.error and ex.status is None:
            return ex.error
        if ex.status is not None and 300 <= ex.status < 400:
            return f"answered {ex.status} redirecting to {ex.header('location') or '(nowhere)'}; redirects are not followed"
        if ex.error:
            return ex.error
        return None

    @staticmethod
    def ok(ex: Exchange) -> bool:
        return ex.status is not None and 200 <= ex.status < 300 and not ex.error

    @staticmethod
    def refused(ex: Exchange) -> bool:
        return ex.status in (400, 401, 403, 404)

    # -- checks --------------------------------------------------------------------------------------
    def run(self) -> list[ProbeResult]:
        first = self.initialize()
        problem = self.transport_error(first)
        if problem:
            self.broken = problem
            self.add(
                "auth_required",
                "error",
                f"the server did not answer an MCP request properly: {problem}",
                [first],
            )
            for check in CHECKS:
                if check != "auth_required":
                    self.add(check, "error", "not run: the server did not answer the first request properly")
            return self.results
        requires_auth = first.status in (401, 403)
        if requires_auth:
            self.add(
                "auth_required",
                "pass",
                f"an unauthenticated initialize was refused with {first.status}",
                [first],
            )
        elif self.ok(first):
            self.add(
                "auth_required",
                "fail",
                "an unauthenticated initialize was accepted: the server verifies no token",
                [first],
            )
        else:
            self.add(
                "auth_required", "fail", f"an unauthenticated initialize got {first.status}, not 401", [first]
            )
        metadata_url = self.check_www_authenticate(first)
        self.check_metadata(metadata_url)
        valid = self.check_tokens() if requires_auth else None
        if not requires_auth:
            for check in ("token_accepted", "token_audience", "token_expired", "token_scope"):
                self.add(check, "skipped", "not run: the server asks for no token at all")
        self.check_sessions(valid, requires_auth)
        self.check_origin(valid, requires_auth)
        self.check_passthrough(valid, requires_auth)
        return self.results

    def check_www_authenticate(self, first: Exchange) -> str | None:
        header = first.header("www-authenticate") or ""
        m = re.search(r'resource_metadata="?([^",\s]+)"?', header)
        scope = re.search(r'scope="([^"]*)"', header)
        if scope:
            self.scope = scope.group(1)
        if first.status != 401:
            self.add(
                "www_authenticate",
                "skipped" if self.ok(first) else "fail",
                "no 401 to inspect" if self.ok(first) else f"status {first.status} instead of 401",
                [first],
            )
            return None
        if not header.lower().startswith("bearer"):
            self.add("www_authenticate", "fail", "the 401 has no Bearer WWW-Authenticate challenge", [first])
            return None
        if not m:
            self.add(
                "www_authenticate",
                "fail",
                "the WWW-Authenticate challenge does not name resource_metadata",
                [first],
            )
            return None
        self.add("www_authenticate", "pass", f"the challenge names {m.group(1)}", [first])
        return m.group(1)

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.url)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)

    def check_metadata(self, advertised: str | None) -> None:
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        candidates = []
        if advertised:
            if not self._same_origin(advertised):
                self.add(
                    "resource_metadata",
                    "fail",
                    f"the metadata URL {advertised} is not on the server's own origin; it was not fetched",
                )
                return
            candidates.append(advertised)
        for p in (f"/.well-known/oauth-protected-resource{path}", "/.well-known/oauth-protected-resource"):
            u = urlunsplit((parts.scheme, parts.netloc, p, "", ""))
            if u not in candidates:
                candidates.append(u)
        exchanges = []
        for u in candidates:
            ex = self.send("GET", url=u)
            exchanges.append(ex)
            if self.ok(ex):
                break
        else:
            status = "fail" if advertised or self.results[0].status == "pass" else "skipped"
            self.add(
                "resource_metadata", status, "no protected resource metadata document was found", exchanges
            )
            return
        ex = exchanges[-1]
        try:
            doc = json.loads(ex.body.decode("utf-8", "replace"))
        except ValueError:
            self.add("resource_metadata", "fail", "the metadata document is not JSON", exchanges)
            return
        if not isinstance(doc, dict):
            self.add("resource_metadata", "fail", "the metadata document is not a JSON object", exchanges)
            return
        problems = []
        resource = doc.get("resource")
        if not isinstance(resource, str):
            problems.append("no 'resource'")
        elif resource.rstrip("/") != self.url.rstrip("/"):
            problems.append(f"'resource' is {resource!r}, not the server's URL {self.url!r}")
        servers = doc.get("authorization_servers")
        if not isinstance(servers, list) or not servers or not all(isinstance(s, str) for s in servers):
            problems.append("'authorization_servers' is missing or empty")
        scopes = doc.get("scopes_supported")
        if not self.scope and isinstance(scopes, list) and scopes and all(isinstance(s, str) for s in scopes):
            self.scope = " ".join(scopes)
        if self.auth is not None and isinstance(servers, list):
            self.trusted = any(isinstance(s, str) and s.rstrip("/") == self.auth.issuer for s in servers)
        if problems:
            self.add("resource_metadata", "fail", "; ".join(problems), exchanges)
        else:
            self.add(
                "resource_metadata",
                "pass",
                f"resource {resource} with {len(servers or [])} authorization server(s)",
                exchanges,
            )

    def mint(self, label: str, **kw: Any) -> str:
        assert self.auth is not None
        kw.setdefault("audience", self.url)
        kw.setdefault("scope", self.scope)
        return self.redact.add(self.auth.mint(**kw), label)

    def check_tokens(self) -> str | None:
        checks = ("token_accepted", "token_audience", "token_expired", "token_scope")
        if self.auth is None or not self.trusted:
            why = (
                "the server was not launched by the gate"
                if self.auth is None
                else "the server does not list the gate's authorization server in its metadata"
            )
            for c in checks:
                self.add(
                    c, "skipped", f"not run: {why} (launch it with --launch so it can trust MCP_AUTH_ISSUER)"
                )
            return None
        valid = self.mint("valid")
        ex = self.initialize(token=valid)
        if not self.ok(ex):
            self.add(
                "token_accepted",
                "fail",
                f"a valid token from the trusted issuer got {ex.status or ex.error}",
                [ex],
            )
            for c in checks[1:]:
                self.add(c, "skipped", "not run: the server refuses even a valid token")
            return None
        self.add("token_accepted", "pass", "a valid token was accepted", [ex])
        wrong_aud = self.mint("other-audience", audience=OTHER_AUDIENCE)
        ex = self.initialize(token=wrong_aud)
        self._expect_refused("token_audience", ex, "a token issued for another audience")
        expired = self.mint("expired", lifetime=60, issued_ago=3600)
        ex = self.initialize(token=expired)
        self._expect_refused("token_expired", ex, "an expired token")
        if self.scope:
            no_scope = self.mint("no-scope", scope="")
            ex = self.initialize(token=no_scope)
            self._expect_refused("token_scope", ex, "a token without the required scope")
        else:
            self.add("token_scope", "skipped", "the server declares no required scope")
        return valid

    def _expect_refused(self, check: str, ex: Exchange, what: str) -> None:
        if ex.status in (401, 403):
            self.add(check, "pass", f"{what} was refused with {ex.status}", [ex])
        elif self.ok(ex):
            self.add(check, "fail", f"{what} was accepted", [ex])
        else:
            self.add(check, "error", f"{what} got {ex.status or ex.error}", [ex])

    def check_sessions(self, valid: str | None, requires_auth: bool) -> None:
        if requires_auth and valid is None:
            self.add("session_id", "skipped", "not run: no token the server accepts")
            self.add("session_binding", "skipped", "not run: no token the server accepts")
            return
        ids: list[str] = []
        exchanges: list[Exchange] = []
        for _ in range(3):
            ex = self.initialize(token=valid)
            exchanges.append(ex)
            sid = ex.header("mcp-session-id")
            if sid:
                ids.append(sid)
        if not ids:
            self.add(
                "session_id", "skipped", "the server issues no Mcp-Session-Id (stateless)", exchanges[:1]
            )
            self.add("session_binding", "skipped", "the server issues no Mcp-Session-Id (stateless)")
            return
        bits = session_bits(ids)
        details = {"estimated_bits": round(bits, 1), "samples": len(ids)}
        if len(set(ids)) < len(ids):
            self.add("session_id", "fail", "the same session ID was issued twice", exchanges, **details)
        elif uuid1_like(ids):
            self.add(
                "session_id", "fail", "session IDs are time-based UUIDs (version 1)", exchanges, **details
            )
        elif sequential(ids):
            self.add(
                "session_id", "fail", f"session IDs are sequential: {', '.join(ids)}", exchanges, **details
            )
        elif bits < MIN_SESSION_BITS:
            self.add(
                "session_id",
                "fail",
                f"session IDs carry about {bits:.0f} bits (< {MIN_SESSION_BITS})",
                exchanges,
                **details,
            )
        else:
            self.add(
                "session_id",
                "pass",
                f"session IDs carry about {bits:.0f} bits and are not sequential",
                exchanges,
                **details,
            )
        if not requires_auth:
            self.add(
                "session_binding",
                "fail",
                "the server authenticates nobody: anyone holding a session ID can use the session",
            )
            return
        assert valid is not None
        sid, opened = self.open_session(valid)
        if not sid:
            self.add("session_binding", "error", "could not open a session", opened)
            return
        other = self.mint("other-user", subject="gate-probe-user-b")
        control = self.send("POST", self.rpc("tools/list", {}), token=valid, session=sid)
        bare = self.send("POST", self.rpc("tools/list", {}), session=sid)
        foreign = self.send("POST", self.rpc("tools/list", {}), token=other, session=sid)
        evidence = [*opened, control, bare, foreign]
        if not self.ok(control):
            self.add(
                "session_binding",
                "error",
                f"the session owner's own request got {control.status or control.error}",
                evidence,
            )
        elif self.ok(bare):
            self.add(
                "session_binding",
                "fail",
                "the session was usable with no token at all: the session is the authentication",
                evidence,
            )
        elif self.ok(foreign):
            self.add(
                "session_binding", "fail", "another user's token could use this user's session", evidence
            )
        elif self.refused(bare) and self.refused(foreign):
            self.add(
                "session_binding",
                "pass",
                f"refused without a token ({bare.status}) and with another user's ({foreign.status})",
                evidence,
            )
        else:
            self.add(
                "session_binding",
                "error",
                f"unexpected answers: {bare.status or bare.error}, {foreign.status or foreign.error}",
                evidence,
            )

    def check_origin(self, valid: str | None, requires_auth: bool) -> None:
        if requires_auth and valid is None:
            self.add(
                "origin", "skipped", "not run: authentication answers before any Origin check can be seen"
            )
            return
        ex = self.initialize(token=valid, origin=FOREIGN_ORIGIN)
        if ex.status == 403 or (ex.status is not None and 400 <= ex.status < 500 and ex.status != 401):
            self.add(
                "origin", "pass", f"a request from Origin {FOREIGN_ORIGIN} was refused with {ex.status}", [ex]
            )
        elif self.ok(ex):
            self.add(
                "origin", "fail", f"a request from Origin {FOREIGN_ORIGIN} was accepted (DNS rebinding)", [ex]
            )
        else:
            self.add("origin", "error", f"a foreign Origin got {ex.status or ex.error}", [ex])

    def check_passthrough(self, valid: str | None, requires_auth: bool) -> None:
        if self.proxy is None:
            self.add(
                "token_passthrough",
                "skipped",
                "not run: the server was not launched behind the recording proxy",
            )
            return
        if requires_auth and valid is None:
            self.add("token_passthrough", "skipped", "not run: no token the server accepts")
            return
        sid, exchanges = self.open_session(valid)
        listing = self.send("POST", self.rpc("tools/list", {}), token=valid, session=sid)
        exchanges.append(listing)
        tools = []
        for msg in listing.json_messages():
            if isinstance(msg, dict) and isinstance(msg.get("result"), dict):
                tools = [t for t in msg["result"].get("tools") or [] if isinstance(t, dict)]
        called = []
        for tool in tools[:20]:
            name = tool.get("name")
            annotations = tool.get("annotations") or {}
            if not isinstance(name, str):
                continue
            if name not in self.tools and not (
                isinstance(annotations, dict) and annotations.get("readOnlyHint") is True
            ):
                continue
            args = sample_arguments(tool.get("inputSchema") or {})
            exchanges.append(
                self.send(
                    "POST",
                    self.rpc("tools/call", {"name": name, "arguments": args}),
                    token=valid,
                    session=sid,
                )
            )
            called.append(name)
        records = self.proxy.snapshot()
        tokens = list(self.redact.labels)
        leaked = [
            r
            for r in records
            if any(t in v for v in r.headers.values() for t in tokens) or any(t in r.target for t in tokens)
        ]
        seen = [
            {
                "method": r.method,
                "target": self.redact(r.target),
                "headers": {k: self.redact(v) for k, v in sorted(r.headers.items())},
            }
            for r in records[:20]
        ]
        if leaked:
            self.add(
                "token_passthrough",
                "fail",
                f"{len(leaked)} outbound request(s) carried the client's token (to {self.redact(leaked[0].target)})",
                exchanges,
                outbound=seen,
                tools_called=called,
            )
        elif records:
            self.add(
                "token_passthrough",
                "pass",
                f"{len(records)} outbound request(s), none carried the client's token",
                exchanges,
                outbound=seen,
                tools_called=called,
            )
        else:
            self.add(
                "token_passthrough",
                "skipped",
                "no outbound request was observed"
                + (
                    f" (called {', '.join(called)})"
                    if called
                    else " (no read-only tool to call; name tools with --probe-tool)"
                ),
                exchanges,
                tools_called=called,
            )


def sample_arguments(schema: Any) -> dict[str, Any]:
    """Harmless arguments for a tool call, from its input schema."""
    out: dict[str, Any] = {}
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return out
    for name, spec in list(props.items())[:20]:
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type")
        if isinstance(spec.get("enum"), list) and spec["enum"]:
            out[name] = spec["enum"][0]
        elif kind == "string":
            out[name] = (
                "http://gate-probe.invalid/"
                if ("url" in name.lower() or spec.get("format") == "uri")
                else "gate-probe"
            )
        elif kind in ("integer", "number"):
            out[name] = 1
        elif kind == "boolean":
            out[name] = False
        elif kind == "array":
            out[name] = []
        elif kind == "object":
            out[name] = {}
    return out


@contextlib.contextmanager
def launched(
    command: str, url: str, env_extra: dict[str, str], startup: float, cwd: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    _, _, port, _ = loopback_target(url)
    argv = [a.replace("{port}", str(port)).replace("{url}", url) for a in shlex.split(command)]
    if not argv:
        raise UsageError("--launch needs a command")
    env = {**os.environ, **env_extra}
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below; the server writes to it
    try:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: wrappers (uv run, npx) and their children end with it
        )
    except OSError as e:
        log.close()
        raise UsageError(f"cannot launch {argv[0]!r}: {e.strerror or e}") from e
    try:
        problem = wait_for_port(port, proc, startup)
        if problem:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 600))
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise _LaunchFailed(problem + (f"; its last output: {' | '.join(tail)}" if tail else ""))
        yield proc
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the launched server and the process group it leads (only that group: it was created for it)."""
    for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, sig)
            else:  # no process groups (Windows): the launched process itself
                proc.send_signal(sig)
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


class _LaunchFailed(Exception):
    pass


def run_probe(
    url: str | None = None,
    *,
    launch: str | None = None,
    timeout: float = 3.0,
    startup: float = 15.0,
    tools: tuple[str, ...] = (),
    cwd: str | None = None,
) -> ProbeReport:
    """Probe a server at ``url`` (loopback only), or launch ``launch`` on a free loopback port and probe it."""
    if url is None and launch is None:
        raise UsageError("the probe needs --url or --launch")
    if url is None:
        url = f"http://127.0.0.1:{free_port()}/mcp"
    loopback_target(url)
    if launch is None:
        probe = Probe(url, timeout=timeout, tools=tools)
        results = probe.run()
        return ProbeReport(url, results, error=probe.broken, redactor=probe.redact)
    auth = AuthorizationServer()
    proxy = RecordingProxy()
    _, _, port, _ = loopback_target(url)
    env = {
        "PORT": str(port),
        "MCP_PORT": str(port),
        "HOST": "127.0.0.1",
        "MCP_HOST": "127.0.0.1",
        "MCP_SERVER_URL": url,
        "MCP_AUTH_AUDIENCE": url,
        "MCP_AUTH_ISSUER": auth.issuer,
        "MCP_AUTH_JWKS_URL": auth.jwks_url,
        "HTTP_PROXY": proxy.url,
        "HTTPS_PROXY": proxy.url,
        "http_proxy": proxy.url,
        "https_proxy": proxy.url,
        "NO_PROXY": "127.0.0.1,localhost,::1",
        "no_proxy": "127.0.0.1,localhost,::1",
    }
    try:
        with launched(launch, url, env, startup, cwd):
            probe = Probe(url, timeout=timeout, auth=auth, proxy=proxy, tools=tools)
            results = probe.run()
            return ProbeReport(url, results, error=probe.broken, redactor=probe.redact)
    except _LaunchFailed as e:
        return ProbeReport(url, [ProbeResult("auth_required", "error", str(e))], error=str(e))
    finally:
        auth.close()
        proxy.close()


def run_from_settings(settings: Any) -> ProbeReport:
    """The probe as ``gate check --probe`` runs it, from the feature options."""
    url = settings.option("url")
    launch = settings.option("launch")
    tools = tuple(settings.option("probe_tool") or ())
    if isinstance(launch, tuple | list):
        launch = launch[0] if launch else None
    if isinstance(url, tuple | list):
        url = url[0] if url else None
    target = settings.target if settings.target.is_dir() else settings.target.parent
    return run_probe(
        url, launch=launch, tools=tools, timeout=float(settings.option("probe_timeout", 3.0)), cwd=str(target)
    )
