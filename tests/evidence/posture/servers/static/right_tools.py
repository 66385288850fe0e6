import shlex
import subprocess
from urllib.parse import urlparse

import requests
from mcp.server.mcpserver import MCPServer

mcp = MCPServer("ops")
ALLOWED_HOSTS = {"docs.example.com"}


@mcp.tool()
def grep(pattern: str, path: str) -> str:
    return subprocess.run(["grep", "-rn", "--", pattern, path], capture_output=True, text=True).stdout


@mcp.tool()
def disk(mount: str) -> str:
    return subprocess.run(f"df -h {shlex.quote(mount)}", shell=True, capture_output=True, text=True).stdout


@mcp.tool()
def fetch(url: str) -> str:
    if urlparse(url).hostname not in ALLOWED_HOSTS:
        raise ValueError("host not allowed")
    return requests.get(url, timeout=10).text
# ruff: noqa
