import OpenAI from "openai";
import { GoogleGenAI } from "@google/genai";
import { Mistral } from "@mistralai/mistralai";

export type ChatModel = "gpt-4.1-nano" | "gemini-2.5-flash";

const DEFAULTS = {
  openai: "gpt-4.1-nano",
  gemini: "gemini-2.5-flash",
} as const;

export function pickModel(provider: keyof typeof DEFAULTS): string {
  return process.env.CHAT_MODEL ?? DEFAULTS[provider];
}

export class Embedder {
  private readonly ai = new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY });

  async embed(text: string) {
    const res = await this.ai.models.embedContent({ model: "gemini-embedding-001", contents: text });
    return res.embeddings;
  }
}

const mistral = new Mistral({ apiKey: process.env.MISTRAL_API_KEY ?? "" });
export const ocr = (url: string) =>
  mistral.ocr.process({ model: "mistral-ocr-latest", document: { type: "document_url", documentUrl: url } });

export const openaiClient = new OpenAI();
export async function moderate(input: string) {
  return openaiClient.moderations.create({ model: "omni-moderation-latest", input });
}
