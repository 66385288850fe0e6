import Anthropic from "@anthropic-ai/sdk";
import { CohereClientV2 } from "cohere-ai";

const anthropic = new Anthropic();
export const DEFAULT_CHAT_MODEL = "claude-opus-4-1";

export async function ask(prompt: string, model = DEFAULT_CHAT_MODEL) {
  return anthropic.messages.create({
    model,
    max_tokens: 1024,
    messages: [{ role: "user", content: prompt }],
  });
}

const cohere = new CohereClientV2({ token: process.env.CO_API_KEY });

export async function rerank(query: string, documents: string[]) {
  return cohere.rerank({ model: process.env.COHERE_RERANK_MODEL ?? "rerank-english-v3.0", query, documents });
}
