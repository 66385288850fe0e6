import { pipeline, AutoTokenizer } from "@huggingface/transformers";

const LOCAL_MODEL = "Xenova/all-MiniLM-L6-v2";

export async function localEmbedder() {
  const extractor = await pipeline("feature-extraction", LOCAL_MODEL);
  const tokenizer = await AutoTokenizer.from_pretrained("Xenova/bert-base-uncased");
  return { extractor, tokenizer };
}
