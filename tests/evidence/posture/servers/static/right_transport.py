import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.middleware.cors import CORSMiddleware

mcp = MCPServer("notes")
UPSTREAM_URL = "https://notes-backend.example.net/api"
LOCAL_URL = "http://127.0.0.1:9000/health"

app = mcp.streamable_http_app()
app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=8000)
# ruff: noqa
