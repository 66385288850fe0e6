"""Forwards the caller's bearer token to GitHub: token passthrough."""

import httpx
from mcp.server.mcpserver import MCPServer
from starlette.requests import Request

mcp = MCPServer("gh")


def bearer(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip()


async def github_user(token: str) -> dict:
    async with httpx.AsyncClient() as client:
        r = await client.get("https://api.github.com/user", headers={"Authorization": f"Bearer {token}"})
        return r.json()


async def profile(request: Request) -> dict:
    return await github_user(bearer(request))
# ruff: noqa
