#!/usr/bin/python3
"""By-hand check (not in CI: it needs torch and exports ~200 MB): full-size torchvision
MobileNetV2, ResNet-18, SqueezeNet 1.1, DenseNet-121 and EfficientNet-B0 with random
weights, exported to ONNX (opset 13) into tests/bench/.cache/, run through
`heatlens run --out`, and compared with PyTorch: max |heatlens - torch| / max |torch|
must be at most 1e-4.

    /usr/bin/python3 tests/golden/check_full_models.py [--build build/native]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

torch.set_num_threads(2)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, "tests", "bench", ".cache")
MODELS = {
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "resnet18": torchvision.models.resnet18,
    "squeezenet1_1": torchvision.models.squeezenet1_1,
    "densenet121": torchvision.models.densenet121,
    "efficientnet_b0": torchvision.models.efficientnet_b0,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build", "native"))
    args = parser.parse_args()
    os.makedirs(CACHE, exist_ok=True)
    worst = 0.0
    for name, ctor in MODELS.items():
        torch.manual_seed(0)
        model = ctor(weights=None).eval()
        path = os.path.join(CACHE, f"{name}.onnx")
        x = torch.randn(1, 3, 224, 224)
        if not os.path.exists(path):
            torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        with torch.no_grad():
            ref = model(x).numpy()
        with tempfile.TemporaryDirectory() as tmp:
            np.save(os.path.join(tmp, "x.npy"), x.numpy())
            out = os.path.join(tmp, "y.npy")
            r = subprocess.run([os.path.join(args.build, "heatlens"), "run", path, "--input",
                                os.path.join(tmp, "x.npy"), "--out", out, "--top", "1"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{name}: FAILED to run: {r.stderr.strip()}")
                worst = float("inf")
                continue
            got = np.load(out)
        err = float(np.abs(got - ref).max() / np.abs(ref).max())
        worst = max(worst, err)
        print(f"{name:16s} max relative error {err:.2e} {'ok' if err <= 1e-4 else 'TOO LARGE'}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
