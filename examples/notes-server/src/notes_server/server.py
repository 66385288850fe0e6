"""notes-mcp-server: FastMCP tools over a local SQLite file."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Annotated

from mcp.server.fastmcp import FastMCP
from pydantic import Field

DB_PATH = Path(os.environ.get("NOTES_DB", "~/.local/share/notes-mcp/notes.db")).expanduser()
MAX_NOTE_LENGTH = 4000

mcp = FastMCP("notes", instructions="Keeps short plain-text notes. Notes are stored locally and never leave the machine.")


def _db() -> sqlite3.Connection:
    DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(DB_PATH)
    conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL)")
    return conn


@mcp.tool()
def add_note(
    title: Annotated[str, Field(description="A short title for the note")],
    body: Annotated[str, Field(description="The text of the note")],
) -> int:
    """Save a note and return its id."""
    if len(body) > MAX_NOTE_LENGTH:
        raise ValueError(f"notes are limited to {MAX_NOTE_LENGTH} characters")
    with _db() as conn:
        cur = conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (title, body))
        return int(cur.lastrowid or 0)


@mcp.tool()
def search_notes(
    query: Annotated[str, Field(description="Words to look for in titles and bodies")],
    limit: Annotated[int, Field(description="How many notes to return at most", ge=1, le=50)] = 10,
) -> list[dict[str, str | int]]:
    """Find notes whose title or body contains the query."""
    pattern = f"%{query}%"
    with _db() as conn:
        rows = conn.execute(
            "SELECT id, title, body FROM notes WHERE title LIKE ? OR body LIKE ? ORDER BY id LIMIT ?",
            (pattern, pattern, limit),
        ).fetchall()
    return [{"id": r[0], "title": r[1], "body": r[2]} for r in rows]


@mcp.tool()
def delete_note(note_id: Annotated[int, Field(description="The id of the note to delete")]) -> bool:
    """Delete one note by id. Returns whether a note was deleted."""
    with _db() as conn:
        return conn.execute("DELETE FROM notes WHERE id = ?", (note_id,)).rowcount > 0


@mcp.resource("notes://{note_id}")
def read_note(note_id: int) -> str:
    """The text of one note."""
    with _db() as conn:
        row = conn.execute("SELECT title, body FROM notes WHERE id = ?", (note_id,)).fetchone()
    if row is None:
        raise ValueError(f"no note {note_id}")
    return f"# {row[0]}\n\n{row[1]}"


@mcp.prompt()
def summarize_notes(topic: str) -> str:
    """Ask for a summary of the notes about a topic."""
    return f"Search my notes for '{topic}' with search_notes and summarize what they say."


def main() -> None:
    mcp.run()


if __name__ == "__main__":
    main()
