import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "ops", version: "1.0.0" });

server.registerTool("grep", { inputSchema: { pattern: z.string() } }, async ({ pattern }) => {
  const cmd = `grep -rn ${pattern} .`;
  exec(cmd);
  return { content: [] };
});

server.tool("fetch", { url: z.string() }, async ({ url }) => {
  const r = await fetch(url);
  return { content: [{ type: "text", text: await r.text() }] };
});
