from pathlib import Path

import joblib
import onnxruntime as ort
import torch
from llama_cpp import Llama

MODELS = Path(__file__).parent.parent / "models"


def run():
    sess = ort.InferenceSession("models/encoder.onnx")
    clf = joblib.load("models/classifier.joblib")
    state = torch.load("models/head.pt", weights_only=True)
    llm = Llama.from_pretrained(repo_id="Qwen/Qwen2.5-0.5B-Instruct-GGUF", filename="*q8_0.gguf")
    return sess, clf, state, llm
