"""Shared helpers for heatlens' training scripts: seeding, ONNX export (opset 13, free batch
dimension, BatchNorm kept as nodes), evaluation with a confusion matrix, and writing the model
card (card.json) and its README.md.

The training scripts run with Debian's PyTorch: /usr/bin/python3 models/train/<script>.py
"""
import json
import os
import random
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(ROOT, "models")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)


def evaluate(model, x, y, batch=500, classes=None):
    """Accuracy and confusion matrix (rows: true class, columns: predicted)."""
    model.eval()
    classes = classes or int(y.max()) + 1
    confusion = np.zeros((classes, classes), dtype=np.int64)
    with torch.no_grad():
        for i in range(0, len(x), batch):
            pred = model(x[i:i + batch]).argmax(1)
            for t, p in zip(y[i:i + batch].tolist(), pred.tolist()):
                confusion[t, p] += 1
    return float(np.trace(confusion) / confusion.sum()), confusion


def export(model, name, example):
    folder = os.path.join(MODELS, name)
    os.makedirs(folder, exist_ok=True)
    model.eval()
    torch.onnx.export(model, example, os.path.join(folder, "model.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    return folder


def write_card(folder, card, confusion, readme_sections):
    """card.json for the engine and the page; README.md for people."""
    with open(os.path.join(folder, "card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    labels = card["labels"]
    lines = [f"# {card['name']}", "", card["summary"], ""]
    for title, body in readme_sections:
        lines += [f"## {title}", "", body.strip(), ""]
    lines += ["## Confusion matrix (test split; rows: true class, columns: predicted)", "",
              "| | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for i, row in enumerate(confusion):
        lines.append(f"| **{labels[i]}** | " + " | ".join(str(v) for v in row) + " |")
    lines.append("")
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(lines))


class Timer:
    def __init__(self):
        self.start = time.time()

    def minutes(self):
        return (time.time() - self.start) / 60
