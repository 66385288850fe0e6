from datasets import load_dataset

DATASET = "BeIR/scifact"


def corpus(split: str = "corpus"):
    return load_dataset(DATASET, "corpus", split=split)
