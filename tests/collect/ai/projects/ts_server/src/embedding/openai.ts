import OpenAI from "openai";

const MODEL = process.env.OPENAI_EMBED_MODEL ?? "text-embedding-3-small";

export class OpenAIEmbedding {
  private client: OpenAI;
  constructor(apiKey: string) {
    this.client = new OpenAI({ apiKey });
  }
  async embed(text: string, model: string) {
    // `model` comes from the caller: the default above is the reference
    return this.client.embeddings.create({ model: MODEL, input: text });
  }
  async summarize(text: string) {
    const res = await this.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: text }],
    });
    return res;
  }
}
