from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RagSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env")

    embed_model: str = Field(
        "intfloat/multilingual-e5-small", validation_alias=AliasChoices("RAG_EMBED", "EMBED")
    )
    rerank_model: str = "cross-encoder/ms-marco-TinyBERT-L-2-v2"
    llm: str = "mistral-large-latest"


settings = RagSettings()
