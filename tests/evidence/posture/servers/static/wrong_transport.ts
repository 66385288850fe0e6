import express from "express";
import cors from "cors";

const app = express();
app.use(cors({ origin: true, credentials: true }));
const BACKEND_URL = "http://backend.example.net/v1";
app.listen(8080, "0.0.0.0");
