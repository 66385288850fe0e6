"""A streamable HTTP MCP server on the official SDK (mcp 2.x ``MCPServer``) that does authorization right:
JWTs verified against the issuer's JWKS with audience, issuer, expiry and scope; sessions from the SDK
(secure random, bound to the token's principal); DNS-rebinding protection on; the downstream API called with
the server's own credential, never the client's.

``GATE_TEST_FLAWS`` (comma-separated) switches on one mistake at a time for the probe's test table:
``no_audience`` (the verifier skips the audience), ``no_origin`` (Host/Origin checks off),
``passthrough`` (the client's token is forwarded downstream), ``no_auth`` (no authorization at all).

Reads the variables the gate's probe sets: PORT, MCP_SERVER_URL, MCP_AUTH_ISSUER, MCP_AUTH_JWKS_URL.
"""

from __future__ import annotations

import os
import warnings

import jwt
import requests
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations

warnings.simplefilter("ignore")

FLAWS = set(filter(None, os.environ.get("GATE_TEST_FLAWS", "").split(",")))
PORT = int(os.environ.get("PORT", "8000"))
SERVER_URL = os.environ.get("MCP_SERVER_URL", f"http://127.0.0.1:{PORT}/mcp")
ISSUER = os.environ.get("MCP_AUTH_ISSUER", "http://127.0.0.1:9000")
JWKS_URL = os.environ.get("MCP_AUTH_JWKS_URL", f"{ISSUER}/.well-known/jwks.json")
SCOPE = "mcp:tools"
DOWNSTREAM = "http://weather.gate-test.invalid/forecast"
SERVICE_KEY = os.environ.get("WEATHER_SERVICE_KEY", "")


class JwtVerifier:
    def __init__(self) -> None:
        self.jwks = jwt.PyJWKClient(JWKS_URL)

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            if "no_audience" in FLAWS:
                claims = jwt.decode(
                    token, key, algorithms=["RS256"], issuer=ISSUER, options={"verify_aud": False}
                )
            else:
                claims = jwt.decode(token, key, algorithms=["RS256"], audience=SERVER_URL, issuer=ISSUER)
        except jwt.PyJWTError:
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=claims.get("exp"),
            subject=claims.get("sub"),
            claims={"iss": claims.get("iss")},
        )


if "no_auth" in FLAWS:
    mcp = MCPServer("weather")
else:
    mcp = MCPServer(
        "weather",
        token_verifier=JwtVerifier(),
        auth=AuthSettings(
            issuer_url=ISSUER,
            resource_server_url=SERVER_URL,
            required_scopes=[SCOPE],
            validate_token_resource=False,
        ),
    )


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
def forecast(city: str) -> str:
    """Weather forecast for a city."""
    headers = {"X-Api-Key": SERVICE_KEY}
    if "passthrough" in FLAWS:
        access = get_access_token()
        if access is not None:
            headers = {"Authorization": f"Bearer {access.token}"}
    r = requests.get(DOWNSTREAM, params={"city": city}, headers=headers, timeout=5)
    return r.text


def main() -> None:
    security = (
        TransportSecuritySettings(enable_dns_rebinding_protection=False) if "no_origin" in FLAWS else None
    )
    app = mcp.streamable_http_app(host="127.0.0.1", transport_security=security)
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="error")


if __name__ == "__main__":
    main()
