import { z } from "zod";

export const SearchInput = z.object({
  query: z.string().describe("model-free text"),
  embeddingModel: z.enum(["text-embedding-3-small", "text-embedding-3-large"]).optional(),
});
