"""A server in the style of the reference fetch server (mcp 1.x low-level API): static extraction only."""

from typing import Annotated

from mcp.server import Server
from mcp.types import Tool
from pydantic import AnyUrl, BaseModel, Field


class Fetch(BaseModel):
    """Parameters for fetching a URL."""

    url: Annotated[AnyUrl, Field(description="URL to fetch")]
    max_length: Annotated[
        int, Field(default=5000, description="Maximum number of characters to return.", gt=0, lt=1000000)
    ]
    raw: Annotated[
        bool,
        Field(
            default=False,
            description="Get the actual HTML content of the requested page, without simplification.",
        ),
    ]


async def serve() -> None:
    server = Server("mcp-fetch")

    @server.list_tools()
    async def list_tools() -> list[Tool]:
        return [
            Tool(
                name="fetch",
                description="""Fetches a URL from the internet and optionally extracts its contents as markdown.""",
                inputSchema=Fetch.model_json_schema(),
            )
        ]
