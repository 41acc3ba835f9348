#!/usr/bin/python3
"""Trains cifar10-resnet: a small residual network with BatchNorm (a quarter-width "ResNet-9",
after Page's DAWNBench network) on CIFAR-10 from ../shared/datasets/cifar10-jpg.tar, official
split, and exports it to models/cifar10-resnet/ with its card.

    /usr/bin/python3 models/train/train_cifar.py [--tar PATH] [--epochs 24] [--seed 0]

The decoded images are cached in build/cache/cifar10.npz (never committed).
"""
import argparse
import io
import os
import sys
import tarfile

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.io

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, Timer, evaluate, export, seed_everything, write_card  # noqa: E402

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]
WIDTH = 16


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class Residual(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(conv_bn_relu(channels, channels), conv_bn_relu(channels, channels))

    def forward(self, x):
        return x + self.body(x)


def make_model(w=WIDTH):
    return nn.Sequential(
        conv_bn_relu(3, w), conv_bn_relu(w, 2 * w), nn.MaxPool2d(2), Residual(2 * w),
        conv_bn_relu(2 * w, 4 * w), nn.MaxPool2d(2),
        conv_bn_relu(4 * w, 8 * w), nn.MaxPool2d(2), Residual(8 * w),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * w, 10))


def load_cifar(tar_path):
    """uint8 NCHW arrays of the official split, decoded once and cached."""
    cache = os.path.join(ROOT, "build", "cache", "cifar10.npz")
    if os.path.exists(cache):
        d = np.load(cache)
        return d["xtr"], d["ytr"], d["xte"], d["yte"]
    split = {"train": ([], []), "test": ([], [])}
    with tarfile.open(tar_path) as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) < 4 or parts[-3] not in split or parts[-2] not in CLASSES:
                continue
            data = torch.frombuffer(bytearray(tar.extractfile(member).read()), dtype=torch.uint8)
            image = torchvision.io.decode_jpeg(data, mode=torchvision.io.ImageReadMode.RGB)
            split[parts[-3]][0].append(image.numpy())
            split[parts[-3]][1].append(CLASSES.index(parts[-2]))
    xtr, ytr = np.stack(split["train"][0]), np.array(split["train"][1], dtype=np.int64)
    xte, yte = np.stack(split["test"][0]), np.array(split["test"][1], dtype=np.int64)
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    np.savez(cache, xtr=xtr, ytr=ytr, xte=xte, yte=yte)
    return xtr, ytr, xte, yte


def normalise(x_uint8):
    x = torch.from_numpy(x_uint8).float() / 255
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def augment(batch):
    """Random crop with 4 pixels of reflection padding and horizontal flips."""
    padded = F.pad(batch, (4, 4, 4, 4), mode="reflect")
    out = torch.empty_like(batch)
    offsets = np.random.randint(0, 9, size=(len(batch), 2))
    flips = np.random.rand(len(batch)) < 0.5
    for i in range(len(batch)):
        dy, dx = offsets[i]
        crop = padded[i, :, dy:dy + 32, dx:dx + 32]
        out[i] = crop.flip(2) if flips[i] else crop
    return out


def last_add_output(path):
    """The output of the last residual Add: the default Grad-CAM layer."""
    graph = onnx.load(path).graph
    return [n.output[0] for n in graph.node if n.op_type == "Add"][-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tar", default=os.path.join(ROOT, "..", "shared", "datasets", "cifar10-jpg.tar"))
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N shuffled images (smoke tests)")
    parser.add_argument("--from-checkpoint", action="store_true",
                        help="skip training: export the weights saved by the last run")
    args = parser.parse_args()
    seed_everything(args.seed)
    timer = Timer()
    xtr, ytr, xte, yte = load_cifar(args.tar)
    print(f"data: {len(xtr)} training, {len(xte)} test images ({timer.minutes():.1f} min)", flush=True)
    xtr_t, ytr_t, xte_t, yte_t = normalise(xtr), torch.from_numpy(ytr), normalise(xte), torch.from_numpy(yte)
    if args.limit:
        keep = torch.randperm(len(xtr_t))[:args.limit]
        xtr_t, ytr_t = xtr_t[keep], ytr_t[keep]
    model = make_model()
    checkpoint = os.path.join(ROOT, "build", "cache", "cifar10-resnet.pt")
    batch = 256
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = args.epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=steps, pct_start=0.25)
    for epoch in range(0 if args.from_checkpoint else args.epochs):
        model.train()
        perm = torch.randperm(len(xtr_t))
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(augment(xtr_t[idx])), ytr_t[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc, _ = evaluate(model, xte_t, yte_t)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.3f}, test accuracy {acc:.4f} "
              f"({timer.minutes():.1f} min)", flush=True)
    if args.from_checkpoint:
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["weights"])
        minutes = saved["minutes"]
    else:
        minutes = timer.minutes()
        torch.save({"weights": model.state_dict(), "minutes": minutes}, checkpoint)
    acc, confusion = evaluate(model, xte_t, yte_t, classes=10)
    # The training set is ordered by class: a fixed random tenth of it.
    sample = torch.randperm(len(xtr_t), generator=torch.Generator().manual_seed(1))[:10000]
    train_acc, _ = evaluate(model, xtr_t[sample], ytr_t[sample], classes=10)
    folder = export(model, "cifar10-resnet", xte_t[:1])
    target = 0.85
    lo = min((0 - m) / s for m, s in zip(MEAN, STD))
    hi = max((1 - m) / s for m, s in zip(MEAN, STD))
    data = ("CIFAR-10 (Krizhevsky 2009; freely distributed for research) as the JPEG re-encoding of the public "
            "repository \"CIFAR-10-images\" (../shared/datasets/cifar10-jpg.tar), official split: 50,000 training "
            "and 10,000 test images. The JPEG re-encoding slightly changes pixel values from the original binary release.")
    card = {
        "name": "cifar10-resnet",
        "kind": "image",
        "summary": "Photo classifier for the ten CIFAR-10 classes: a small residual network with BatchNorm "
                   "(quarter-width ResNet-9).",
        "input": {"name": "input", "shape": ["batch", 3, 32, 32], "layout": "NCHW"},
        "preprocessing": {"resize": [32, 32], "channels": 3, "range": [0, 1], "mean": MEAN, "std": STD},
        "input_bounds": [round(lo, 4), round(hi, 4)],
        "labels": CLASSES,
        "gradcam_layer": last_add_output(os.path.join(folder, "model.onnx")),
        "accuracy": {"test": round(acc, 4), "train": round(train_acc, 4), "target": target,
                     "meets_target": acc >= target},
        "data": data,
        "training": {"command": f"/usr/bin/python3 models/train/train_cifar.py --epochs {args.epochs} --seed {args.seed}",
                     "epochs": args.epochs, "seed": args.seed, "minutes": round(minutes, 1),
                     "optimizer": f"SGD with Nesterov momentum 0.9, weight decay 5e-4, one-cycle learning rate up to "
                                  f"0.2, batch {batch}, label smoothing 0.1, random crops (4-pixel reflection padding) "
                                  "and horizontal flips",
                     "machine": "2 CPU cores, Debian PyTorch 1.13"},
        "licence": "model weights: MIT (this project); data licence as stated under data",
    }
    write_card(folder, card, confusion, [
        ("Intended use", "Demonstrations of explanation methods in heatlens on small colour photos of the ten "
                         "CIFAR-10 classes, and exercising LRP's BatchNorm canonizer (every Conv is followed by a "
                         "BatchNorm that the ONNX file keeps as its own node)."),
        ("Architecture", "Conv-BN-ReLU blocks 3→16→32, MaxPool, residual block (two Conv-BN-ReLU, 32 channels), "
                         "Conv-BN-ReLU 32→64, MaxPool, Conv-BN-ReLU 64→128, MaxPool, residual block (128 channels), "
                         "global average pooling, Linear 128→10. "
                         f"{sum(p.numel() for p in model.parameters()):,} parameters."),
        ("Input", "RGB, 32×32, pixel values scaled to [0, 1], then normalised per channel with mean "
                  f"{MEAN} and std {STD} (the usual CIFAR-10 statistics)."),
        ("Data", data),
        ("Metrics", f"Test accuracy {acc:.2%} (target {target:.0%}); accuracy on a fixed random 10,000 of the "
                    f"training images {train_acc:.2%}."),
        ("Training", f"`{card['training']['command']}` — {args.epochs} epochs, {card['training']['optimizer']}; "
                     f"{card['training']['minutes']} minutes on 2 CPU cores (including decoding the JPEGs)."),
        ("Limitations", "32×32 inputs: larger photos are downscaled and lose detail. Cats and dogs, and "
                        "automobiles and trucks, are the most confused pairs. Not robust to distribution shift "
                        "(drawings, unusual viewpoints, objects outside the ten classes are still forced into one)."),
    ])
    print(f"cifar10-resnet: test accuracy {acc:.4f}, wrote {folder}")


if __name__ == "__main__":
    main()
