"""A minimal streamable HTTP MCP server on ``http.server`` with its own OAuth resource-server surface, for the
probe's test table: the mistakes the official SDK does not let one make are switched on one at a time with
``GATE_TEST_FLAWS`` (comma-separated):

``sequential_sessions``  session IDs from a counter;
``session_auth``         a known session ID is enough, no token needed after initialize;
``unbound_sessions``     a session can be used with any valid token, not only its owner's;
``accept_expired``       expiry is not checked;
``no_scope``             the required scope is not checked;
``no_metadata_param``    the 401 challenge does not name the resource metadata;
``wrong_resource``       the metadata names another resource;
``no_origin``            the Origin header is not checked.

Without flaws it does everything right. Reads PORT, MCP_SERVER_URL, MCP_AUTH_ISSUER, MCP_AUTH_JWKS_URL.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

FLAWS = set(filter(None, os.environ.get("GATE_TEST_FLAWS", "").split(",")))
PORT = int(os.environ.get("PORT", "8000"))
SERVER_URL = os.environ.get("MCP_SERVER_URL", f"http://127.0.0.1:{PORT}/mcp")
ISSUER = os.environ.get("MCP_AUTH_ISSUER", "http://127.0.0.1:9000")
JWKS = jwt.PyJWKClient(os.environ.get("MCP_AUTH_JWKS_URL", f"{ISSUER}/.well-known/jwks.json"))
SCOPE = "mcp:tools"
ALLOWED_ORIGINS = {f"http://127.0.0.1:{PORT}", f"http://localhost:{PORT}"}
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"

_counter = itertools.count(1000)
SESSIONS: dict[str, str] = {}  # session id -> subject of the token that opened it


def new_session_id() -> str:
    if "sequential_sessions" in FLAWS:
        return f"session-{next(_counter)}"
    return secrets.token_urlsafe(32)


def verify(token: str) -> dict[str, Any] | None:
    options = {"verify_exp": "accept_expired" not in FLAWS}
    try:
        key = JWKS.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token, key, algorithms=["RS256"], audience=SERVER_URL, issuer=ISSUER, options=options
        )
    except jwt.PyJWTError:
        return None
    if "no_scope" not in FLAWS and SCOPE not in str(claims.get("scope", "")).split():
        return None
    return claims


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _challenge(self) -> None:
        challenge = 'Bearer error="invalid_token"'
        if "no_metadata_param" not in FLAWS:
            challenge += f', resource_metadata="http://127.0.0.1:{PORT}{METADATA_PATH}", scope="{SCOPE}"'
        self._send(401, {"error": "invalid_token"}, {"WWW-Authenticate": challenge})

    def do_GET(self) -> None:
        if self.path in (METADATA_PATH, "/.well-known/oauth-protected-resource"):
            resource = "https://elsewhere.invalid/mcp" if "wrong_resource" in FLAWS else SERVER_URL
            self._send(
                200, {"resource": resource, "authorization_servers": [ISSUER], "scopes_supported": [SCOPE]}
            )
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path != "/mcp":
            self._send(404, {"error": "not found"})
            return
        origin = self.headers.get("Origin")
        if origin is not None and origin not in ALLOWED_ORIGINS and "no_origin" not in FLAWS:
            self._send(403, {"error": "origin not allowed"})
            return
        length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
        try:
            message = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": "invalid JSON"})
            return
        session = self.headers.get("Mcp-Session-Id")
        auth = self.headers.get("Authorization", "")
        claims = verify(auth[7:]) if auth.lower().startswith("bearer ") else None
        if session and session in SESSIONS and "session_auth" in FLAWS:
            subject = SESSIONS[session]  # the session itself is taken as proof of identity
        elif claims is None:
            self._challenge()
            return
        else:
            subject = str(claims.get("sub"))
        method = message.get("method")
        if method == "initialize":
            sid = new_session_id()
            SESSIONS[sid] = subject
            result = {
                "protocolVersion": message.get("params", {}).get("protocolVersion", "2025-11-25"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "handmade", "version": "1"},
            }
            self._send(
                200, {"jsonrpc": "2.0", "id": message.get("id"), "result": result}, {"Mcp-Session-Id": sid}
            )
            return
        if not session or session not in SESSIONS:
            self._send(404, {"error": "unknown session"})
            return
        if SESSIONS[session] != subject and "unbound_sessions" not in FLAWS:
            self._send(403, {"error": "session belongs to another user"})
            return
        if "id" not in message:
            self._send(202)
            return
        if method == "tools/list":
            self._send(200, {"jsonrpc": "2.0", "id": message["id"], "result": {"tools": []}})
        else:
            self._send(
                200, {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "no"}}
            )


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
