#!/usr/bin/python3
"""A small digit-sized classifier with an operator heatlens does not implement (Softplus), for
the page's ONNX Runtime path: heatlens lists the node, and the forward-only methods run the
model through onnxruntime-web.

    /usr/bin/python3 tests/golden/make_unsupported_model.py
writes tests/golden/unsupported/softplus_cnn.onnx (tests/e2e/app.test.mjs uses it).
"""
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unsupported")


def main():
    torch.manual_seed(11)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, stride=2), torch.nn.Softplus(), torch.nn.AdaptiveAvgPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(16, 3)).eval()
    os.makedirs(OUT, exist_ok=True)
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), os.path.join(OUT, "softplus_cnn.onnx"), opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print("wrote", os.path.join(OUT, "softplus_cnn.onnx"))


if __name__ == "__main__":
    main()
