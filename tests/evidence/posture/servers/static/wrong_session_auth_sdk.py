"""Takes the caller's identity from the SDK session instead of the verified token."""
from mcp.server.mcpserver import Context, MCPServer

mcp = MCPServer("notes")
LOGGED_IN: dict[str, str] = {}


@mcp.tool()
def my_notes(ctx: Context) -> list[str]:
    user = LOGGED_IN[ctx.session_id]
    return [f"note of {user}"]
# ruff: noqa
