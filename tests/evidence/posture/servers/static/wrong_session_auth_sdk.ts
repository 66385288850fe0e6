import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

const server = new McpServer({ name: "notes", version: "1.0.0" });
const loggedIn = new Map<string, string>();

server.registerTool("my_notes", { description: "the caller's notes" }, async (_args, extra) => {
  const user = loggedIn.get(extra.sessionId ?? "");
  return { content: [{ type: "text", text: `notes of ${user}` }] };
});
