import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { execFile } from "node:child_process";
import { z } from "zod";

const server = new McpServer({ name: "ops", version: "1.0.0" });
const ALLOWED_HOSTS = new Set(["docs.example.com"]);

server.registerTool("grep", { inputSchema: { pattern: z.string() } }, async ({ pattern }) => {
  execFile("grep", ["-rn", "--", pattern, "."]);
  return { content: [] };
});

server.tool("fetch", { url: z.string() }, async ({ url }) => {
  if (!ALLOWED_HOSTS.has(new URL(url).hostname)) throw new Error("host not allowed");
  const r = await fetch(url);
  return { content: [{ type: "text", text: await r.text() }] };
});
