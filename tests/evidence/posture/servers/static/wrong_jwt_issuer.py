"""Checks the audience but not the issuer: tokens of any issuer trusted with these keys pass."""

import jwt

AUDIENCE = "https://mcp.example.com/mcp"


def verify(token: str, key: str) -> dict:
    return jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE)
# ruff: noqa
