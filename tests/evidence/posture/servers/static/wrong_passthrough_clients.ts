import got from "got";
import axios from "axios";
import { Hono } from "hono";

const app = new Hono();

app.get("/a", async (c) => {
  const token = c.req.header("Authorization");
  const client = axios.create({ baseURL: "https://api.example.com", headers: { Authorization: token } });
  return c.json((await client.get("/a")).data);
});

app.get("/b", async (c) => {
  const auth = c.req.header("authorization");
  const body = await got("https://api.example.com/b", { headers: { authorization: auth } }).text();
  return c.text(body);
});
