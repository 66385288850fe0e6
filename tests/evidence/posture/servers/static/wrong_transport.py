import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.middleware.cors import CORSMiddleware

mcp = MCPServer("notes")
UPSTREAM_URL = "http://notes-backend.example.net/api"

app = mcp.streamable_http_app(host="0.0.0.0")
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
loose = TransportSecuritySettings(enable_dns_rebinding_protection=False)

if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=8000)
# ruff: noqa
