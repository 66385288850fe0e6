import os

from fastembed import TextEmbedding
from fastembed.rerank.cross_encoder import TextCrossEncoder as Reranker

from .settings import EmbeddingSettings, RerankSettings


class FastEmbedProvider:
    def __init__(self, model_name: str):
        self.model_name = model_name
        self.embedding_model = TextEmbedding(model_name)

    def vector_name(self) -> str:
        model_name = self.embedding_model.model_name  # a variable name, not a model
        return f"fast-{model_name.lower()}"


def create_provider(settings: EmbeddingSettings) -> FastEmbedProvider:
    return FastEmbedProvider(settings.model_name)


def create_reranker(settings: RerankSettings) -> Reranker:
    return Reranker(model_name=settings.reranker)


def sparse_model():
    name = os.getenv("SPARSE_MODEL", "Qdrant/bm25")
    from fastembed import SparseTextEmbedding

    return SparseTextEmbedding(model_name=name)
