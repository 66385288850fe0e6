import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

const server = new McpServer({ name: "notes", version: "1.0.0" });
const notes = new Map<string, string[]>();

server.registerTool("my_notes", { description: "the caller's notes" }, async (_args, extra) => {
  const user = extra.authInfo?.extra?.sub as string;
  const owned = notes.get(user) ?? [];
  console.log(`session ${extra.sessionId}`);
  return { content: [{ type: "text", text: owned.join("\n") }] };
});
