import express from "express";
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

const app = express();
const PORT = 3000;

app.post("/mcp", async (req, res) => {
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    enableDnsRebindingProtection: true,
    allowedHosts: ["127.0.0.1"],
    allowedOrigins: ["http://127.0.0.1:3000"],
  });
  await transport.handleRequest(req, res, req.body);
});

app.listen(PORT, () => console.log(`listening on ${PORT}`));
