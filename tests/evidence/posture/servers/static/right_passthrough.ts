import express from "express";

const app = express();
const SERVICE_TOKEN = process.env.GITHUB_SERVICE_TOKEN ?? "";

app.post("/mcp", async (req, res) => {
  const auth = req.headers.authorization ?? "";
  if (!auth) return res.status(401).end();
  const r = await fetch("https://api.github.com/user", { headers: { Authorization: `Bearer ${SERVICE_TOKEN}` } });
  res.json(await r.json());
});
