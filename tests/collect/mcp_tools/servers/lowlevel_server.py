"""A low-level Server used by the launch test: Tool(...) literals in an on_list_tools handler."""

from __future__ import annotations

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.stdio import stdio_server

ECHO_SCHEMA = {
    "type": "object",
    "properties": {"text": {"type": "string", "description": "Text to echo back"}},
    "required": ["text"],
}


async def list_tools(ctx, params):  # type: ignore[no-untyped-def]
    return types.ListToolsResult(
        tools=[
            types.Tool(
                name="echo",
                title="Echo",
                description="Echo the given text back.",
                input_schema=ECHO_SCHEMA,
                annotations=types.ToolAnnotations(readOnlyHint=True),
            ),
            types.Tool(
                name="count_words",
                description="Count the words in a text.",
                input_schema={
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "unique": {
                            "type": "boolean",
                            "default": False,
                            "description": "Count distinct words",
                        },
                    },
                    "required": ["text"],
                },
            ),
        ]
    )


async def list_prompts(ctx, params):  # type: ignore[no-untyped-def]
    return types.ListPromptsResult(
        prompts=[
            types.Prompt(
                name="explain",
                description="Explain a text simply.",
                arguments=[types.PromptArgument(name="text", description="What to explain", required=True)],
            )
        ]
    )


server = Server(
    "lowlevel-echo",
    instructions="Echo tools for tests.",
    on_list_tools=list_tools,
    on_list_prompts=list_prompts,
)


async def main() -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
