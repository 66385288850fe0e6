const { Pinecone } = require("@pinecone-database/pinecone");

const pc = new Pinecone({ apiKey: process.env.PINECONE_API_KEY });

async function embed(docs) {
  return pc.inference.embed("llama-text-embed-v2", docs.map((d) => d.text), { inputType: "passage" });
}

async function rerank(query, docs) {
  return pc.inference.rerank("bge-reranker-v2-m3", query, docs);
}

module.exports = { embed, rerank };
