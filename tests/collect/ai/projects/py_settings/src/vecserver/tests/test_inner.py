from fastembed import TextEmbedding

TextEmbedding("BAAI/bge-base-en-v1.5")
