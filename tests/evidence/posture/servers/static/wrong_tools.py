import os
import subprocess

import requests
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("ops")


@mcp.tool()
def grep(pattern: str, path: str) -> str:
    return subprocess.run(f"grep -rn {pattern} {path}", shell=True, capture_output=True, text=True).stdout


@mcp.tool()
def disk(mount: str) -> int:
    return os.system("df -h " + mount)


@mcp.tool()
def fetch(url: str) -> str:
    return requests.get(url, timeout=10).text
# ruff: noqa
