#!/usr/bin/python3
"""PyTorch references for heatlens' engine: small, reduced-width versions of the torchvision
classifier families (AlexNet, VGG, ResNet, SqueezeNet, DenseNet, GoogLeNet, MobileNetV2/V3,
ShuffleNetV2, EfficientNet) at 32-48 px with random weights, exported to ONNX (opset 13,
free batch dimension), with a batch of inputs, the outputs, a random output seed and the
input gradient of sum(seed * output).

Run by hand with Debian's PyTorch (the fixtures are committed and kept small):
    /usr/bin/python3 tests/golden/make_goldens.py
tests/unit/golden_test.cpp compares heatlens against them.
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")


def bn(c):
    """BatchNorm in eval mode with non-trivial running statistics and affine parameters."""
    b = nn.BatchNorm2d(c)
    with torch.no_grad():
        b.running_mean.uniform_(-0.5, 0.5)
        b.running_var.uniform_(0.5, 2.0)
        b.weight.uniform_(0.5, 1.5)
        b.bias.uniform_(-0.3, 0.3)
    return b


class _LrnFunction(torch.autograd.Function):
    """F.local_response_norm that exports as the ONNX LRN operator (torch 1.13 otherwise
    decomposes it into If/Equal/ConstantOfShape for dynamic shapes)."""

    @staticmethod
    def forward(ctx, x, size):
        return F.local_response_norm(x, size)

    @staticmethod
    def symbolic(g, x, size):
        return g.op("LRN", x, size_i=size, alpha_f=1e-4, beta_f=0.75, bias_f=1.0)


class Lrn(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.size = size

    def forward(self, x):
        return _LrnFunction.apply(x, self.size) if torch.onnx.is_in_onnx_export() else F.local_response_norm(x, self.size)


class AlexNetMini(nn.Module):  # large-kernel strided convs, overlapping max pooling, LRN
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 12, 5, stride=2, padding=2), nn.ReLU(inplace=True), Lrn(3),
            nn.MaxPool2d(3, stride=2), nn.Conv2d(12, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2))
        self.avgpool = nn.AvgPool2d(2, stride=2)  # 5x5 → 2x2 (adaptive pooling needs static sizes to export)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(64, 32), nn.ReLU(inplace=True), nn.Linear(32, 10))

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class VggMini(nn.Module):  # 3x3 conv stacks, max pooling, view(x.size(0), -1) flatten
    def __init__(self):
        super().__init__()
        layers, c = [], 3
        for v in [8, "M", 16, 16, "M", 24, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(24 * 4 * 4, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 10))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = bn(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = bn(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))

    def forward(self, x):
        identity = x if self.down is None else self.down(x)
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + identity)


class ResNetMini(nn.Module):  # BatchNorm, residual adds, strided 1x1 downsampling, global pooling
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), bn(8), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        self.layers = nn.Sequential(BasicBlock(8, 8, 1), BasicBlock(8, 16, 2), BasicBlock(16, 24, 2))
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.e1 = nn.Conv2d(squeeze, expand, 1)
        self.e3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.e1(x)), F.relu(self.e3(x))], 1)


class SqueezeNetMini(nn.Module):  # fire modules (concat), ceil-mode pooling, conv classifier
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(16, 4, 8), Fire(16, 4, 8), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 6, 12))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(24, 10, 1), nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.norm1, self.conv1 = bn(cin), nn.Conv2d(cin, 2 * growth, 1, bias=False)
        self.norm2, self.conv2 = bn(2 * growth), nn.Conv2d(2 * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(F.relu(self.norm1(x)))
        return torch.cat([x, self.conv2(F.relu(self.norm2(out)))], 1)


class DenseNetMini(nn.Module):  # pre-activation BN, dense concatenation, average-pool transitions
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), bn(8), nn.ReLU(inplace=True))
        self.block1 = nn.Sequential(DenseLayer(8, 4), DenseLayer(12, 4))
        self.trans = nn.Sequential(bn(16), nn.ReLU(inplace=True), nn.Conv2d(16, 8, 1, bias=False), nn.AvgPool2d(2, 2))
        self.block2 = nn.Sequential(DenseLayer(8, 4), DenseLayer(12, 4))
        self.norm = bn(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.norm(self.block2(self.trans(self.block1(self.stem(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(F.relu(x), 1), 1))


class Inception(nn.Module):
    def __init__(self, cin, b1, b3r, b3, b5r, b5, bp):
        super().__init__()
        conv = lambda i, o, k: nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2, bias=False), bn(o), nn.ReLU(True))
        self.b1 = conv(cin, b1, 1)
        self.b2 = nn.Sequential(conv(cin, b3r, 1), conv(b3r, b3, 3))
        self.b3 = nn.Sequential(conv(cin, b5r, 1), conv(b5r, b5, 3))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), conv(cin, bp, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


class GoogLeNetMini(nn.Module):  # four-branch inception blocks, ceil-mode pooling
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1, bias=False), bn(12), nn.ReLU(True),
                                  nn.MaxPool2d(3, 2, ceil_mode=True))
        self.inc = Inception(12, 4, 4, 8, 2, 4, 4)
        self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inc2 = Inception(20, 6, 6, 8, 2, 4, 6)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.inc2(self.pool(self.inc(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), bn(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), bn(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False), bn(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2Mini(nn.Module):  # depthwise convolutions, ReLU6 (Clip), linear bottlenecks
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.ReLU6(inplace=True),
            InvertedResidual(8, 8, 1, 2), InvertedResidual(8, 12, 2, 3), InvertedResidual(12, 12, 1, 3),
            nn.Conv2d(12, 32, 1, bias=False), bn(32), nn.ReLU6(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class SqueezeExcite(nn.Module):
    def __init__(self, c, squeeze, gate):
        super().__init__()
        self.fc1, self.fc2, self.gate = nn.Conv2d(c, squeeze, 1), nn.Conv2d(squeeze, c, 1), gate

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.fc2(F.relu(self.fc1(s))))


class MobileNetV3Mini(nn.Module):  # hardswish, hardsigmoid squeeze-and-excitation
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.Hardswish())
        self.block = nn.Sequential(
            nn.Conv2d(8, 16, 1, bias=False), bn(16), nn.Hardswish(),
            nn.Conv2d(16, 16, 5, 2, 2, groups=16, bias=False), bn(16), nn.Hardswish(),
            SqueezeExcite(16, 4, nn.Hardsigmoid()), nn.Conv2d(16, 12, 1, bias=False), bn(12))
        self.head = nn.Sequential(nn.Linear(12, 24), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(24, 10))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.block(self.stem(x)), 1)
        return self.head(torch.flatten(x, 1))


def channel_shuffle(x, groups):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        half = c // 2
        self.branch = nn.Sequential(
            nn.Conv2d(half, half, 1, bias=False), bn(half), nn.ReLU(True),
            nn.Conv2d(half, half, 3, 1, 1, groups=half, bias=False), bn(half),
            nn.Conv2d(half, half, 1, bias=False), bn(half), nn.ReLU(True))

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat((x1, self.branch(x2)), 1), 2)


class ShuffleNetV2Mini(nn.Module):  # channel split (chunk), channel shuffle (view/transpose), concat
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), bn(16), nn.ReLU(True), nn.MaxPool2d(3, 2, 1))
        self.units = nn.Sequential(ShuffleUnit(16), ShuffleUnit(16))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.units(self.stem(x))
        return self.fc(x.mean([2, 3]))


class MBConv(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.block = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), bn(hidden), nn.SiLU(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), bn(hidden), nn.SiLU(),
            SqueezeExcite(hidden, max(1, cin // 4), nn.Sigmoid()),
            nn.Conv2d(hidden, cout, 1, bias=False), bn(cout))

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class EfficientNetMini(nn.Module):  # SiLU, sigmoid squeeze-and-excitation, MBConv residuals
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), bn(8), nn.SiLU())
        self.blocks = nn.Sequential(MBConv(8, 8, 1, 1), MBConv(8, 12, 2, 4), MBConv(12, 12, 1, 4))
        self.head = nn.Sequential(nn.Conv2d(12, 32, 1, bias=False), bn(32), nn.SiLU())
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, 10))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.head(self.blocks(self.stem(x))), 1)
        return self.classifier(torch.flatten(x, 1))


FAMILIES = {
    "alexnet_mini": (AlexNetMini, 48),
    "vgg_mini": (VggMini, 32),
    "resnet_mini": (ResNetMini, 32),
    "squeezenet_mini": (SqueezeNetMini, 48),
    "densenet_mini": (DenseNetMini, 32),
    "googlenet_mini": (GoogLeNetMini, 32),
    "mobilenetv2_mini": (MobileNetV2Mini, 32),
    "mobilenetv3_mini": (MobileNetV3Mini, 32),
    "shufflenetv2_mini": (ShuffleNetV2Mini, 32),
    "efficientnet_mini": (EfficientNetMini, 32),
}


def export(name, cls, size, seed):
    torch.manual_seed(seed)
    model = cls().eval()
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    x = torch.randn(2, 3, size, size)
    # PRESERVE keeps BatchNormalization nodes (EVAL would fold them into the convolutions),
    # so the engine and the LRP canonizers see them as users' exports often contain them.
    torch.onnx.export(model, x, os.path.join(folder, "model.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    xg = x.clone().requires_grad_(True)
    y = model(xg)
    seed_t = torch.randn_like(y)
    (y * seed_t).sum().backward()
    for fname, t in [("input", x), ("output", y.detach()), ("seed", seed_t), ("grad", xg.grad)]:
        np.save(os.path.join(folder, fname + ".npy"), t.numpy().astype(np.float32))
    size_kb = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) / 1024
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, {size_kb:.0f} KiB")


if __name__ == "__main__":
    for i, (name, (cls, size)) in enumerate(FAMILIES.items()):
        export(name, cls, size, seed=100 + i)
