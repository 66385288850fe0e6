"""The MCP tool surface: extraction (static, saved JSON, launch), the approved lock and its diff."""
