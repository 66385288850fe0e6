import os

import transformers as tf
from datasets import load_dataset as ld
from huggingface_hub import hf_hub_download, snapshot_download
from transformers import AutoModelForSequenceClassification as Classifier
from transformers import AutoTokenizer, pipeline

SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
SENTIMENT_REV = "714eb0fa89d2f80546fda750413ed43d93601a13"


class Form:
    """Not an ML class: its from_pretrained is unrelated."""

    @classmethod
    def from_pretrained(cls, name):
        return cls()


def load():
    tok = AutoTokenizer.from_pretrained(SENTIMENT, revision=SENTIMENT_REV)
    model = Classifier.from_pretrained(SENTIMENT, revision=SENTIMENT_REV)
    form = Form.from_pretrained("acme/not-a-model")
    summarizer = pipeline("summarization", model="facebook/bart-large-cnn")
    zero_shot = pipeline("zero-shot-classification")  # the task's default model
    gen = tf.AutoModelForCausalLM.from_pretrained(os.environ.get("GEN_MODEL", "Qwen/Qwen2.5-0.5B-Instruct"))
    return tok, model, form, summarizer, zero_shot, gen


def data():
    squad = ld("rajpurkar/squad", revision="7b6d24c440a36b6815f21b70d25016731768db1f")
    table = hf_hub_download(
        repo_id="wikimedia/wikipedia",
        filename="20231101.en/train-00000-of-00041.parquet",
        repo_type="dataset",
    )
    return squad, table


def weights():
    return snapshot_download("openai/whisper-tiny")
