from sentence_transformers import SentenceTransformer


def test_model():
    assert SentenceTransformer("sentence-transformers/paraphrase-MiniLM-L3-v2")
