import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const SEARCH_DESCRIPTION = "Search the issue tracker.";

const server = new McpServer(
  { name: "tracker", version: "1.0.0" },
  { instructions: "Tracker tools. Use search_issues before create_issue." },
);

server.registerTool(
  "create_issue",
  {
    title: "Create issue",
    description: "Create an issue in the tracker.",
    inputSchema: {
      title: z.string().min(1).describe("Issue title"),
      body: z.string().optional(),
      priority: z.enum(["low", "high"]).default("low"),
      labels: z.array(z.string()).optional(),
    },
    annotations: { destructiveHint: false },
  },
  async ({ title }) => ({ content: [{ type: "text", text: title }] }),
);

server.tool("search_issues", SEARCH_DESCRIPTION, { query: z.string().describe("Words to find"), limit: z.number().int().max(50).optional() }, async () => ({ content: [] }));

server.tool("ping", async () => ({ content: [] }));

server.prompt("triage", "Triage an issue.", { id: z.string().describe("Issue id") }, ({ id }) => ({ messages: [] }));

server.resource("issue", new ResourceTemplate("issues://{id}", { list: undefined }), { description: "One issue" }, async () => ({ contents: [] }));

const low = new Server({ name: "low", version: "1" }, { capabilities: { tools: {} } });
low.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: [
    {
      name: "echo",
      description: "Echo the text.",
      inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
  ],
}));
