import os

from pydantic import Field
from pydantic_settings import BaseSettings

EMBEDDING_MODEL = os.getenv("OPENAI_EMBEDDING_MODEL", "text-embedding-3-small")


class LLMSettings(BaseSettings):
    class Config:
        env_prefix = "ASSISTANT_"

    chat_model: str = Field("claude-sonnet-4-5", description="Anthropic model used for answers")
    rerank_model: str = "rerank-v3.5"
