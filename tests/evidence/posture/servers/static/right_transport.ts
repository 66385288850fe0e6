import express from "express";
import cors from "cors";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";

const app = express();
app.use(cors({ origin: ["https://app.example.com"], credentials: true }));
app.use(requireBearerAuth({ verifier, requiredScopes: ["mcp:tools"] }));
const BACKEND_URL = "https://backend.example.net/v1";
app.listen(8080, "0.0.0.0");
