"""A bounded HTTP client for the probe: loopback addresses only, no redirects, a deadline per exchange,
a cap on the response size, and every exchange recorded (with credentials redacted) as evidence.

Built on ``http.client`` so that nothing (proxies from the environment, redirects, connection pools) happens
behind the probe's back.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gate.errors import UsageError
from gate.record import Record

MAX_RESPONSE_BYTES = 256 * 1024
DEFAULT_TIMEOUT = 3.0
BODY_EVIDENCE_CHARS = 2000


def loopback_target(url: str) -> tuple[str, str, int, str]:
    """(scheme, connect address, port, path) of a loopback URL; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"the probe only speaks http(s) to loopback addresses, not {url!r}")
    host = parts.hostname or ""
    if host == "localhost":
        address = "127.0.0.1"
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise UsageError(
                f"the probe only sends traffic to 127.0.0.1 or ::1; {host!r} is not a loopback address"
            ) from None
        if not ip.is_loopback:
            raise UsageError(f"the probe only sends traffic to 127.0.0.1 or ::1; {host} is not loopback")
        address = str(ip)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise UsageError(f"invalid port in {url!r}") from e
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, address, port, path


@dataclass(repr=False)
class Exchange(Record):
    """One request and its response (or why there was none)."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    truncated: bool = False

    def header(self, name: str) -> str | None:
        for k, v in self.response_headers.items():
            if k.lower() == name.lower():
                return v
        return None

    def json_messages(self) -> list[Any]:
        """The JSON-RPC messages in the body: plain JSON or the ``data:`` lines of an SSE stream."""
        text = self.body.decode("utf-8", "replace")
        ctype = (self.header("content-type") or "").lower()
        out: list[Any] = []
        if "text/event-stream" in ctype:
            for event in text.replace("\r\n", "\n").split("\n\n"):
                data = "\n".join(line[5:].lstrip() for line in event.split("\n") if line.startswith("data:"))
                if data:
                    try:
                        out.append(json.loads(data))
                    except ValueError:
                        continue
            return out
        try:
            value = json.loads(text)
        except ValueError:
            return []
        return value if isinstance(value, list) else [value]

    def to_json(self, redact: Any) -> dict[str, Any]:
        body = self.body[:BODY_EVIDENCE_CHARS].decode("utf-8", "replace")
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": {k: redact(v) for k, v in sorted(self.request_headers.items())},
                "body": redact(self.request_body) if self.request_body else None,
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": {
                    k: redact(v)
                    for k, v in sorted(self.response_headers.items())
                    if k.lower()
                    in (
                        "www-authenticate",
                        "mcp-session-id",
                        "location",
                        "content-type",
                        "access-control-allow-origin",
                        "access-control-allow-credentials",
                    )
                },
                "body": redact(body) + ("…" if len(self.body) > BODY_EVIDENCE_CHARS else ""),
                "truncated": self.truncated,
            },
            "error": self.error,
        }


def request(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Exchange:
    """Send one request to a loopback URL and read a bounded response. Never raises for network trouble:
    the exchange carries the error."""
    scheme, address, port, path = loopback_target(url)
    data = body.encode("utf-8") if isinstance(body, str) else body
    ex = Exchange(
        method=method,
        url=url,
        request_headers=dict(headers or {}),
        request_body=data.decode("utf-8", "replace")[:BODY_EVIDENCE_CHARS] if data else None,
    )
    deadline = time.monotonic() + timeout
    conn: http.client.HTTPConnection
    if scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # loopback only: the server's own self-signed certificate
        conn = http.client.HTTPSConnection(address, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    watchdog: threading.Timer | None = None
    fired = threading.Event()
    try:
        conn.connect()
        sock = conn.sock
        # a hard deadline even for a server that trickles bytes slower than the per-read timeout
        watchdog = threading.Timer(timeout + 0.5, _shutdown, args=(sock, fired))
        watchdog.daemon = True
        watchdog.start()
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        host_header = urlsplit(url).netloc
        conn.putheader("Host", host_header)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        resp = conn.getresponse()
        ex.status = resp.status
        ex.response_headers = {k: v[:4096] for k, v in resp.getheaders()}
        chunks: list[bytes] = []
        size = 0
        sse = "text/event-stream" in (resp.getheader("content-type") or "").lower()
        while True:
            if time.monotonic() > deadline:
                ex.error = f"timed out after {timeout:.0f} s while reading the response"
                break
            chunk = resp.read1(16384) if sse else resp.read(16384)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                ex.truncated = True
                ex.error = f"response larger than {max_bytes // 1024} KiB; stopped reading"
                break
            if sse:
                ex.body = b"".join(chunks)
                if any(isinstance(m, dict) and ("result" in m or "error" in m) for m in ex.json_messages()):
                    break  # the answer arrived; the stream may stay open
        ex.body = b"".join(chunks)[: max_bytes + 1]
    except TimeoutError:
        ex.error = f"no answer within {timeout:.0f} s"
    except ConnectionRefusedError:
        ex.error = "connection refused"
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
        ex.error = "connection reset or closed without a response"
    except http.client.LineTooLong:
        ex.error = "not an HTTP response (header line too long)"
    except (http.client.BadStatusLine, http.client.HTTPException) as e:
        ex.error = f"not a valid HTTP response ({type(e).__name__})"
    except ssl.SSLError as e:
        ex.error = f"TLS error: {e.reason or e}"
    except OSError as e:
        ex.error = f"network error: {e.strerror or e}"
    finally:
        if watchdog is not None:
            watchdog.cancel()
        conn.close()
    if fired.is_set():
        ex.error = f"timed out after {timeout:g} s (the server answered too slowly)"
    return ex


def _shutdown(sock: socket.socket | None, fired: threading.Event) -> None:
    fired.set()
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
