"""The MCP server the target is: its identity and transports (``server``), and its tool surface (``tools``)."""
