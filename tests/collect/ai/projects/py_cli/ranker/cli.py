import argparse

import click
import typer
from sentence_transformers import SentenceTransformer
from transformers import pipeline

app = typer.Typer()


@app.command()
def serve(model: str = typer.Option("BAAI/bge-small-en-v1.5", envvar="EMBED_MODEL")):
    return SentenceTransformer(model)


@click.command()
@click.option("--model-name", default="intfloat/e5-small-v2", envvar="E5_MODEL")
def run(model_name):
    return SentenceTransformer(model_name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--classifier", default="cardiffnlp/twitter-roberta-base-sentiment-latest")
    args = parser.parse_args()
    config = {"model": "x"}
    clf = pipeline("sentiment-analysis", model=args.classifier)
    ner = pipeline("ner", model=config.get("ner_model", "dslim/bert-base-NER"))
    return clf, ner
