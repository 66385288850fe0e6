"""A small MCP server that keeps short notes in a local SQLite database."""
