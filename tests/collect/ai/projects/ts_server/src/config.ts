import { z } from "zod";

export type EmbeddingProvider = "OpenAI" | "VoyageAI" | "Local";

// Union type naming the supported OpenAI embedding models.
export type OpenAIEmbeddingModel = "text-embedding-3-small" | "text-embedding-3-large";

export const ConfigSchema = z.object({
  provider: z.enum(["OpenAI", "VoyageAI", "Local"]).default("OpenAI"),
  embeddingModel: z.string().optional(),
  voyageModel: z.enum(["voyage-code-3", "voyage-3.5-lite"]).default("voyage-code-3"),
  apiKey: z.string(),
});

export function getDefaultModelForProvider(provider: EmbeddingProvider): string {
  switch (provider) {
    case "OpenAI":
      return "text-embedding-3-small";
    case "VoyageAI":
      return "voyage-code-3";
    default:
      return "Xenova/all-MiniLM-L6-v2";
  }
}

export const EMBEDDING_MODEL = process.env.EMBEDDING_MODEL ?? getDefaultModelForProvider("OpenAI");
