import { openai } from "@ai-sdk/openai";
import { anthropic as claude } from "@ai-sdk/anthropic";
import { OpenAIEmbeddings } from "@langchain/openai";
import { HuggingFaceTransformersEmbeddings } from "@langchain/community/embeddings/huggingface_transformers";
import { generateText, embed } from "ai";

const SUMMARY_MODEL = process.env.SUMMARY_MODEL || "claude-3-5-haiku-latest";

export async function summarize(text: string) {
  return generateText({ model: claude(SUMMARY_MODEL), prompt: text });
}

export async function vector(text: string) {
  return embed({ model: openai.embedding("text-embedding-3-large"), value: text });
}

export const lcEmbeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", dimensions: 512 });
export const localEmbeddings = new HuggingFaceTransformersEmbeddings({ model: "Xenova/gte-small" });
