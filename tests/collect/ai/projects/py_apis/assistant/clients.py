import anthropic
import cohere
import ollama
import voyageai
from google import genai
from mistralai import Mistral
from openai import AsyncOpenAI
from openai import OpenAI as OpenAIClient

from .config import EMBEDDING_MODEL, LLMSettings

settings = LLMSettings()
openai_client = OpenAIClient()


def embed(texts: list[str]):
    return openai_client.embeddings.create(model=EMBEDDING_MODEL, input=texts)


async def chat_openai(prompt: str, big: bool = False):
    client = AsyncOpenAI()
    model = "gpt-4.1" if big else "gpt-4.1-mini"
    return await client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])


class Answerer:
    def __init__(self) -> None:
        self.client = anthropic.Anthropic()

    def answer(self, question: str):
        return self.client.messages.create(
            model=settings.chat_model, max_tokens=512, messages=[{"role": "user", "content": question}]
        )


def rerank(query: str, docs: list[str]):
    co = cohere.ClientV2()
    return co.rerank(model=settings.rerank_model, query=query, documents=docs)


def voyage(texts: list[str]):
    vo = voyageai.Client()
    return vo.embed(texts, "voyage-3.5", input_type="document")


def mistral(prompt: str):
    client = Mistral(api_key="x")
    return client.chat.complete(model="mistral-small-latest", messages=[{"role": "user", "content": prompt}])


def gemini(text: str):
    client = genai.Client()
    return client.models.embed_content(model="gemini-embedding-001", contents=text)


def local(prompt: str):
    return ollama.chat(model="llama3.2:3b", messages=[{"role": "user", "content": prompt}])


def dynamic(model_id: str, prompt: str):
    # the model is chosen by the caller: nothing to report
    return openai_client.responses.create(model=model_id, input=prompt)
