import { VoyageAIClient } from "voyageai";

export async function embedCode(texts: string[], apiKey: string) {
  const voyage = new VoyageAIClient({ apiKey });
  return voyage.embed({ input: texts, model: "voyage-code-3" });
}
