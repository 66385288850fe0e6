import chromadb
from chromadb.utils import embedding_functions
from langchain_huggingface import HuggingFaceEmbeddings
from llama_index.embeddings.huggingface import HuggingFaceEmbedding


def store():
    client = chromadb.PersistentClient(path="./db")
    docs = client.get_or_create_collection("docs")  # chromadb's default embedding function
    ef = embedding_functions.SentenceTransformerEmbeddingFunction(model_name="multi-qa-MiniLM-L6-cos-v1")
    notes = client.get_or_create_collection("notes", embedding_function=ef)
    return docs, notes


def lc():
    return HuggingFaceEmbeddings()  # library default: sentence-transformers/all-mpnet-base-v2


def li():
    return HuggingFaceEmbedding(model_name="BAAI/bge-m3")
