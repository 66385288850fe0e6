from starlette.requests import Request
from starlette.responses import JSONResponse

SESSIONS: dict[str, dict] = {}


async def handle(request: Request) -> JSONResponse:
    sid = request.headers.get("mcp-session-id")
    user = SESSIONS[sid]["user"]
    return JSONResponse({"hello": user})
# ruff: noqa
