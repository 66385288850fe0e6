"""Forwards the SDK's verified access token downstream: still passthrough."""

import requests
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("crm")


@mcp.tool()
def contacts() -> str:
    access = get_access_token()
    headers = {"Authorization": "Bearer " + access.token}
    return requests.get("https://crm.example.com/api/contacts", headers=headers, timeout=5).text
# ruff: noqa
