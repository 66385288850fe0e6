import os
from functools import lru_cache

import sentence_transformers as st
from mistralai import Mistral
from sentence_transformers.cross_encoder import CrossEncoder

from .settings import settings


@lru_cache
def embedder() -> st.SentenceTransformer:
    return st.SentenceTransformer(settings.embed_model, device="cpu")


def reranker() -> CrossEncoder:
    return CrossEncoder(settings.rerank_model)


class Generator:
    def __init__(self, client: Mistral | None = None) -> None:
        self._client = client or Mistral(api_key=os.environ["MISTRAL_API_KEY"])

    def run(self, question: str):
        return self._client.chat.complete(
            model=settings.llm, messages=[{"role": "user", "content": question}]
        )
