from enum import Enum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProviderType(str, Enum):  # noqa: UP042 - the style of real settings modules
    FASTEMBED = "fastembed"


class EmbeddingSettings(BaseSettings):
    """Which embedding model to use. `str` annotations must never become components."""

    provider_type: ProviderType = Field(default=ProviderType.FASTEMBED, validation_alias="EMBEDDING_PROVIDER")
    model_name: str = Field(
        default="sentence-transformers/all-MiniLM-L6-v2", validation_alias="EMBEDDING_MODEL"
    )


class RerankSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RERANK_")

    reranker: str = "BAAI/bge-reranker-base"
    top_k: int = 5


DEFAULT_CROSS_ENCODER = "cross-encoder/ms-marco-MiniLM-L-6-v2"
