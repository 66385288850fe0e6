from starlette.requests import Request
from starlette.responses import JSONResponse

SESSIONS: dict[str, dict] = {}


def verify_token(header: str) -> str:
    raise NotImplementedError


async def handle(request: Request) -> JSONResponse:
    origin = request.headers.get("origin")
    if origin not in ("https://app.example.com",):
        return JSONResponse({"error": "origin"}, status_code=403)
    sid = request.headers.get("mcp-session-id")
    user = verify_token(request.headers.get("authorization", ""))
    if SESSIONS.get(sid, {}).get("user") != user:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    return JSONResponse({"hello": user})
# ruff: noqa
