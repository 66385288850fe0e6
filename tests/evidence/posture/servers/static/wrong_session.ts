import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

let counter = 0;
export const transport = new StreamableHTTPServerTransport({
  sessionIdGenerator: () => `session-${counter++}`,
  enableDnsRebindingProtection: false,
});
export const other = { sessionId: Math.random().toString(36).slice(2) };
