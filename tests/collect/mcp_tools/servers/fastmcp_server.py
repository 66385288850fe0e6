"""A small MCPServer (FastMCP) server used by the launch test: static extraction must equal tools/list."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

INSTRUCTIONS = "Notes server: use add_note to store short notes and search_notes to find them."
mcp = MCPServer("notes", instructions=INSTRUCTIONS)

SEARCH_DESCRIPTION = "Search stored notes by keyword."


class Priority(str, Enum):  # noqa: UP042 - the common FastMCP idiom, kept on purpose
    LOW = "low"
    HIGH = "high"


class Note(BaseModel):
    """A stored note."""

    title: str
    body: str = Field(default="", description="Free text")
    tags: list[str] = []


@mcp.tool()
def add_note(title: str, body: str = "", priority: Priority = Priority.LOW) -> int:
    """Store a note and return its id.

    Args:
        title: short title
        body: the text
    """
    return 1


@mcp.tool(
    name="search_notes",
    title="Search notes",
    description=SEARCH_DESCRIPTION,
    annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False),
)
async def search(
    query: Annotated[str, Field(description="Keyword to look for", min_length=1)],
    limit: int = 10,
    mode: Literal["any", "all"] = "any",
    tags: list[str] | None = None,
    ctx: Context | None = None,
) -> list[Note]:
    return []


@mcp.tool()
def delete_note(note_id: int = Field(description="Id of the note", ge=1)) -> dict[str, bool]:
    """Delete a note."""
    return {"deleted": True}


@mcp.prompt(title="Summarise notes")
def summarise(topic: str, style: str = "short") -> str:
    """Ask for a summary of the notes about a topic."""
    return f"Summarise notes about {topic} in a {style} style."


@mcp.resource("notes://index", description="Index of all notes", mime_type="application/json")
def index() -> str:
    return "[]"


@mcp.resource("notes://{note_id}")
def note(note_id: str) -> str:
    """One note by id."""
    return ""


if __name__ == "__main__":
    mcp.run()
