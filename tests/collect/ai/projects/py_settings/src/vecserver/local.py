from sentence_transformers import CrossEncoder, SentenceTransformer

from vecserver.settings import DEFAULT_CROSS_ENCODER


def encoder(fast: bool = True) -> SentenceTransformer:
    # a simple conditional: each branch is a candidate
    return SentenceTransformer("all-MiniLM-L12-v2" if fast else "sentence-transformers/all-mpnet-base-v2")


def cross(model=DEFAULT_CROSS_ENCODER):
    return CrossEncoder(model)


def unknown(model_id: str) -> SentenceTransformer:
    # the value comes from the caller at runtime: nothing to report
    return SentenceTransformer(model_id)
