#!/usr/bin/python3
"""Exports the benchmark models (torchvision architectures, random weights, 224×224, opset 13,
free batch dimension) into tests/bench/.cache/ — never committed — and times PyTorch on them
(2 threads: forward, and forward + backward to the input), printing JSON.

    /usr/bin/python3 tests/bench/export_models.py [--iters 10]
"""
import argparse
import json
import os
import time

import torch
import torchvision

torch.set_num_threads(2)
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache")
MODELS = {
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "resnet18": torchvision.models.resnet18,
    "squeezenet1_1": torchvision.models.squeezenet1_1,
    "resnet50": torchvision.models.resnet50,
    "efficientnet_b0": torchvision.models.efficientnet_b0,
}


def median_ms(fn, iters):
    fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(CACHE, exist_ok=True)
    results = {}
    for name, ctor in MODELS.items():
        torch.manual_seed(0)
        model = ctor(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        path = os.path.join(CACHE, f"{name}.onnx")
        if not os.path.exists(path):
            torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})

        def forward():
            with torch.no_grad():
                model(x)

        def gradient():
            xg = x.clone().requires_grad_(True)
            model(xg)[0, 0].backward()

        results[name] = {"onnx": path, "torch_forward_ms": median_ms(forward, args.iters),
                         "torch_gradient_ms": median_ms(gradient, args.iters)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
