import OpenAI from "openai";

const client = new OpenAI();
client.embeddings.create({ model: "text-embedding-ada-002", input: "test" });
