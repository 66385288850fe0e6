"""The probe's own loopback services: a throwaway OAuth authorization server (an RSA key, its JWKS and
metadata, tokens minted on demand) and a recording forward proxy that answers every request itself, so the
server under test can be pointed at them and nothing leaves the machine."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gate.record import Record


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"probe-{handler.__name__}", daemon=True).start()
    return server


class AuthorizationServer:
    """Issuer ``http://127.0.0.1:<port>``; JWKS at ``/.well-known/jwks.json``; RFC 8414 metadata at
    ``/.well-known/oauth-authorization-server``. Keys live only in memory, for one probe."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "gate-probe"
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        self.jwks = {"keys": [jwk]}
        outer = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                if self.path.startswith("/.well-known/jwks.json"):
                    body = json.dumps(outer.jwks).encode()
                elif self.path.startswith(
                    ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
                ):
                    body = json.dumps(outer.metadata()).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _serve(Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def mint(
        self,
        *,
        audience: str,
        subject: str = "gate-probe-user-a",
        scope: str = "",
        lifetime: int = 300,
        issued_ago: int = 0,
        client_id: str = "gate-probe",
    ) -> str:
        now = int(time.time()) - issued_ago
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
            "client_id": client_id,
            "jti": f"{subject}-{now}-{lifetime}-{audience}",
        }
        if scope:
            claims["scope"] = scope
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(repr=False)
class Recorded(Record):
    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)


class RecordingProxy:
    """A forward proxy on loopback that records what the server under test sends out and answers every
    request with a small JSON body itself (CONNECT tunnels are refused: TLS would hide the headers)."""

    def __init__(self) -> None:
        self.records: list[Recorded] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(_Quiet):
            def _record(self) -> None:
                with outer.lock:
                    if len(outer.records) < 1000:
                        outer.records.append(
                            Recorded(self.command, self.path, {k: v for k, v in self.headers.items()})
                        )
                length = int(self.headers.get("Content-Length") or 0)
                if 0 < length <= 1_000_000:
                    self.rfile.read(length)

            def _answer(self) -> None:
                self._record()
                body = b'{"ok": true, "from": "gate-probe-proxy"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

            def do_CONNECT(self) -> None:
                self._record()
                self.send_response(403, "gate probe proxy does not tunnel")
                self.end_headers()

        self.server = _serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def snapshot(self) -> list[Recorded]:
        with self.lock:
            return list(self.records)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
