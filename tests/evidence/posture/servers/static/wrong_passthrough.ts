import express from "express";
import axios from "axios";

const app = express();

async function callGithub(token: string) {
  return axios.get("https://api.github.com/user", { headers: { Authorization: `Bearer ${token}` } });
}

app.post("/mcp", async (req, res) => {
  const auth = req.headers.authorization ?? "";
  const token = auth.replace("Bearer ", "");
  const user = await callGithub(token);
  res.json(user.data);
});
