#!/usr/bin/python3
"""PyTorch references for heatlens' deterministic explanation methods (and RISE with a fixed
seed), every LRP rule and composite, on three small networks: a plain CNN, a CNN with BatchNorm and residual adds, and a
depthwise (MobileNet-style) network.

The references are written here from the methods' definitions, independently of heatlens:
autograd for the gradient methods, backward hooks for guided backprop / DeconvNet / DeepLIFT,
and for LRP Zennit's scheme (each linear layer's backward returns relevance computed with the
rule's modified inputs, weights and stabiliser; activations pass relevance; pooling and
residual adds use the Norm rule; BatchNorm is first folded into the preceding convolution).

    /usr/bin/python3 tests/golden/make_explainer_goldens.py
writes tests/golden/explainers/<net>/ (model.onnx, input.npy, one .npy per case, cases.json);
tests/unit/explainer_golden_test.cpp compares heatlens with them.
"""
import copy
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)  # references in double precision
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "explainers")
EPS_STAB = 1e-6


def bn(c):
    b = nn.BatchNorm2d(c)
    with torch.no_grad():
        b.running_mean.uniform_(-0.3, 0.3)
        b.running_var.uniform_(0.5, 1.5)
        b.weight.uniform_(0.6, 1.4)
        b.bias.uniform_(-0.2, 0.2)
    return b


class PlainCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 6, 3, padding=1), nn.Conv2d(6, 8, 3, padding=1)
        self.fc1, self.fc2 = nn.Linear(8 * 4 * 4, 16), nn.Linear(16, 5)

    def forward(self, x, act=F.relu):
        x = F.max_pool2d(act(self.conv1(x)), 2)
        x = F.avg_pool2d(act(self.conv2(x)), 2)
        return self.fc2(act(self.fc1(torch.flatten(x, 1))))


class ResidualCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1, bias=False), bn(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), bn(8)
        self.conv3, self.bn3 = nn.Conv2d(8, 8, 3, padding=1, bias=False), bn(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x, act=F.relu):
        x = act(self.bn1(self.conv1(x)))
        y = act(self.bn2(self.conv2(x)))
        x = act(self.bn3(self.conv3(y)) + x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DepthwiseCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.bn0 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), bn(8)
        self.expand, self.bn1 = nn.Conv2d(8, 16, 1, bias=False), bn(16)
        self.dw, self.bn2 = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), bn(16)
        self.project, self.bn3 = nn.Conv2d(16, 8, 1, bias=False), bn(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x, act=lambda t: F.relu6(t)):
        x = act(self.bn0(self.stem(x)))
        y = act(self.bn1(self.expand(x)))
        y = act(self.bn2(self.dw(y)))
        x = x + self.bn3(self.project(y))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Exportable(nn.Module):
    """Hides the activation argument of forward() from the ONNX tracer."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


NETS = {"plain_cnn": PlainCnn, "residual_cnn": ResidualCnn, "depthwise_cnn": DepthwiseCnn}


# ---------------------------------------------------------------------------------------- gradients
def grad_of(model, x, target, act=None):
    x = x.clone().requires_grad_(True)
    y = model(x) if act is None else model(x, act=act)
    (g,) = torch.autograd.grad(y[0, target], x)
    return g


class GuidedRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, deconv):
        ctx.save_for_backward(x)
        ctx.deconv = deconv
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        g = g.clamp(min=0)
        return (g if ctx.deconv else g * (x > 0)), None


def leggauss01(n):
    z, w = np.polynomial.legendre.leggauss(n)
    return (z + 1) / 2, w / 2


def integrated_gradients(model, x, target, steps, rule):
    if rule == "gauss-legendre":
        alphas, weights = leggauss01(steps)
    else:
        shift = {"riemann-left": 0.0, "riemann-right": 1.0, "riemann-middle": 0.5}[rule]
        alphas, weights = (np.arange(steps) + shift) / steps, np.full(steps, 1.0 / steps)
    total = torch.zeros_like(x)
    for a, w in zip(alphas, weights):
        total += w * grad_of(model, a * x, target)
    return x * total


def grad_cam(model, x, target, plus_plus):
    acts = {}

    def keep(t):
        t.retain_grad()
        acts["a"] = t
        return t

    xg = x.clone().requires_grad_(True)
    net = model
    # Run the model with the last activation captured.
    if isinstance(net, PlainCnn):
        h = F.max_pool2d(F.relu(net.conv1(xg)), 2)
        a = keep(F.avg_pool2d(F.relu(net.conv2(h)), 2))  # the last value with a spatial extent
        y = net.fc2(F.relu(net.fc1(torch.flatten(a, 1))))
    elif isinstance(net, ResidualCnn):
        h = F.relu(net.bn1(net.conv1(xg)))
        r = F.relu(net.bn2(net.conv2(h)))
        a = keep(F.relu(net.bn3(net.conv3(r)) + h))
        y = net.fc(torch.flatten(F.adaptive_avg_pool2d(a, 1), 1))
    else:
        h = F.relu6(net.bn0(net.stem(xg)))
        r = F.relu6(net.bn1(net.expand(h)))
        r = F.relu6(net.bn2(net.dw(r)))
        a = keep(h + net.bn3(net.project(r)))
        y = net.fc(torch.flatten(F.adaptive_avg_pool2d(a, 1), 1))
    y[0, target].backward()
    A, G = acts["a"].detach()[0], acts["a"].grad[0]
    if plus_plus:
        g2, g3 = G ** 2, G ** 3
        denom = 2 * g2 + A.sum(dim=(1, 2), keepdim=True) * g3
        alpha = torch.where(denom != 0, g2 / torch.where(denom != 0, denom, torch.ones_like(denom)), torch.zeros_like(denom))
        w = (alpha * G.clamp(min=0)).sum(dim=(1, 2))
    else:
        w = G.mean(dim=(1, 2))
    cam = F.relu((w[:, None, None] * A).sum(0))[None, None]
    up = F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)
    return up, cam


def deeplift(model, x, target):
    """Rescale rule at every ReLU/ReLU6 with a zero baseline: multipliers (y − y0)/(x − x0)."""
    refs = []

    def record(t, fn):
        refs.append((t.detach(), fn(t).detach()))
        return fn(t)

    model(torch.zeros_like(x), act=lambda t: record(t, F.relu if not isinstance(model, DepthwiseCnn) else F.relu6))
    it = iter(refs)

    class Rescale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t, fn_id):
            x0, y0 = next(it)
            fn = F.relu if fn_id == 0 else F.relu6
            y = fn(t)
            dx = t - x0
            grad = (t > 0).double() if fn_id == 0 else ((t > 0) & (t < 6)).double()
            safe = torch.where(dx.abs() > 1e-6, dx, torch.ones_like(dx))
            mult = torch.where(dx.abs() > 1e-6, (y - y0) / safe, grad)
            ctx.save_for_backward(mult)
            return y

        @staticmethod
        def backward(ctx, g):
            (m,) = ctx.saved_tensors
            return g * m, None

    fid = 1 if isinstance(model, DepthwiseCnn) else 0
    return x * grad_of(model, x, target, act=lambda t: Rescale.apply(t, fid))


# ---------------------------------------------------------------------------------------- LRP
def stabilize(z, eps=EPS_STAB):
    return z + ((z == 0).double() + z.sign()) * eps


def fold_bn(conv, b):
    a = b.weight / torch.sqrt(b.running_var + b.eps)
    c = copy.deepcopy(conv)
    with torch.no_grad():
        c.weight.mul_(a.view(-1, 1, 1, 1))
        bias = (conv.bias if conv.bias is not None else torch.zeros_like(b.bias)) * a + b.bias - b.running_mean * a
        c.bias = nn.Parameter(bias)
    return c


def linear_fn(layer):
    if isinstance(layer, nn.Conv2d):
        return lambda x, w, b: F.conv2d(x, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
    return lambda x, w, b: F.linear(x, w, b)


def apply_rule(layer, rule, x, R, p):
    f, W = linear_fn(layer), layer.weight.detach()
    b = layer.bias.detach() if layer.bias is not None else torch.zeros(W.shape[0])
    pos, neg = (lambda t: t.clamp(min=0)), (lambda t: t.clamp(max=0))

    def tgrad(xin, w, s):  # xin ⊙ Wᵀ s via autograd
        xin = xin.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(xin, w, None), xin, s)
        return g

    def wt(w, s):  # Wᵀ s (for inputs of ones)
        return tgrad(torch.ones_like(x), w, s)

    zero = torch.zeros_like(b)
    if rule in ("0", "epsilon"):
        s = R / stabilize(f(x, W, b), 0.0 if rule == "0" else p["epsilon"]) if rule == "epsilon" else \
            torch.where(f(x, W, b) != 0, R / torch.where(f(x, W, b) != 0, f(x, W, b), torch.ones_like(R)), torch.zeros_like(R))
        return x * tgrad(x, W, s)
    if rule == "zplus":
        z = f(pos(x), pos(W), pos(b)) + f(neg(x), neg(W), zero)
        s = R / stabilize(z)
        return pos(x) * tgrad(x, pos(W), s) + neg(x) * tgrad(x, neg(W), s)
    if rule == "alpha-beta":
        a, bt = p["alpha"], p["beta"]
        zp = f(pos(x), pos(W), pos(b)) + f(neg(x), neg(W), zero)
        zn = f(pos(x), neg(W), neg(b)) + f(neg(x), pos(W), zero)
        sp, sn = R / stabilize(zp), R / stabilize(zn)
        return a * (pos(x) * tgrad(x, pos(W), sp) + neg(x) * tgrad(x, neg(W), sp)) - \
            bt * (pos(x) * tgrad(x, neg(W), sn) + neg(x) * tgrad(x, pos(W), sn))
    if rule == "gamma":
        g = p["gamma"]
        Wp, Wn, bp, bn_ = W + g * pos(W), W + g * neg(W), b + g * pos(b), b + g * neg(b)
        z = f(x, W, b)
        zp = f(pos(x), Wp, bp) + f(neg(x), Wn, zero)
        zn = f(pos(x), Wn, bn_) + f(neg(x), Wp, zero)
        sp, sn = (z > 0) * R / stabilize(zp), (z < 0) * R / stabilize(zn)
        return pos(x) * tgrad(x, Wp, sp) + neg(x) * tgrad(x, Wn, sp) + pos(x) * tgrad(x, Wn, sn) + neg(x) * tgrad(x, Wp, sn)
    if rule == "zbox":
        lo, hi = torch.full_like(x, p["low"]), torch.full_like(x, p["high"])
        z = f(x, W, b) - f(lo, pos(W), pos(b)) - f(hi, neg(W), neg(b))
        s = R / stabilize(z)
        return x * tgrad(x, W, s) - lo * tgrad(x, pos(W), s) - hi * tgrad(x, neg(W), s)
    if rule == "flat":
        ones = torch.ones_like(W)
        return wt(ones, R / stabilize(f(torch.ones_like(x), ones, zero)))
    if rule == "wsquare":
        return wt(W ** 2, R / stabilize(f(torch.ones_like(x), W ** 2, b ** 2)))
    raise ValueError(rule)


def norm_rule(fn, inputs, R):
    """Zennit's Norm rule for pooling and sums: R_i = x_i ⊙ ∂z/∂x_i · R / stab(z)."""
    ins = [t.clone().requires_grad_(True) for t in inputs]
    z = fn(*ins)
    grads = torch.autograd.grad(z, ins, R / stabilize(z))
    return [t.detach() * g for t, g in zip(ins, grads)]


def lrp(model, x, target, rules, p):
    """Manual LRP pass over the three architectures; rules: {'first', 'conv', 'dense'} → rule."""
    def rule_for(kind, first):
        return rules["first"] if first and rules.get("first") else rules[kind]

    if isinstance(model, PlainCnn):
        a0 = x
        z1 = model.conv1(a0); a1 = F.relu(z1); p1 = F.max_pool2d(a1, 2)
        z2 = model.conv2(p1); a2 = F.relu(z2); p2 = F.avg_pool2d(a2, 2)
        f = torch.flatten(p2, 1); z3 = model.fc1(f); a3 = F.relu(z3); y = model.fc2(a3)
        R = torch.zeros_like(y); R[0, target] = y[0, target]
        R = apply_rule(model.fc2, rule_for("dense", False), a3.detach(), R, p)
        R = apply_rule(model.fc1, rule_for("dense", False), f.detach(), R, p).view_as(p2)
        (R,) = norm_rule(lambda t: F.avg_pool2d(t, 2), [a2.detach()], R)
        R = apply_rule(model.conv2, rule_for("conv", False), p1.detach(), R, p)
        a1d = a1.detach().requires_grad_(True)
        (R,) = torch.autograd.grad(F.max_pool2d(a1d, 2), a1d, R)  # winner takes all
        return apply_rule(model.conv1, rule_for("conv", True), x, R, p)
    if isinstance(model, ResidualCnn):
        c1, c2, c3 = fold_bn(model.conv1, model.bn1), fold_bn(model.conv2, model.bn2), fold_bn(model.conv3, model.bn3)
        h = F.relu(c1(x)); r = F.relu(c2(h)); t3 = c3(r); s = F.relu(t3 + h)
        g = torch.flatten(F.adaptive_avg_pool2d(s, 1), 1); y = model.fc(g)
        R = torch.zeros_like(y); R[0, target] = y[0, target]
        R = apply_rule(model.fc, rule_for("dense", False), g.detach(), R, p).view(1, -1, 1, 1)
        (R,) = norm_rule(lambda t: F.adaptive_avg_pool2d(t, 1), [s.detach()], R)
        Rt3, Rh = norm_rule(lambda a, b: a + b, [t3.detach(), h.detach()], R)
        Rr = apply_rule(c3, rule_for("conv", False), r.detach(), Rt3, p)
        Rh = Rh + apply_rule(c2, rule_for("conv", False), h.detach(), Rr, p)
        return apply_rule(c1, rule_for("conv", True), x, Rh, p)
    c0, ce, cd, cp = (fold_bn(model.stem, model.bn0), fold_bn(model.expand, model.bn1),
                      fold_bn(model.dw, model.bn2), fold_bn(model.project, model.bn3))
    h = F.relu6(c0(x)); e = F.relu6(ce(h)); d = F.relu6(cd(e)); t = cp(d); s = h + t
    g = torch.flatten(F.adaptive_avg_pool2d(s, 1), 1); y = model.fc(g)
    R = torch.zeros_like(y); R[0, target] = y[0, target]
    R = apply_rule(model.fc, rule_for("dense", False), g.detach(), R, p).view(1, -1, 1, 1)
    (R,) = norm_rule(lambda q: F.adaptive_avg_pool2d(q, 1), [s.detach()], R)
    Rh, Rt = norm_rule(lambda a, b: a + b, [h.detach(), t.detach()], R)
    Rd = apply_rule(cp, rule_for("conv", False), d.detach(), Rt, p)
    Re = apply_rule(cd, rule_for("conv", False), e.detach(), Rd, p)
    Rh = Rh + apply_rule(ce, rule_for("conv", False), h.detach(), Re, p)
    return apply_rule(c0, rule_for("conv", True), x, Rh, p)


COMPOSITES = {
    "epsilon-plus": {"conv": "zplus", "dense": "epsilon"},
    "epsilon-plus-flat": {"first": "flat", "conv": "zplus", "dense": "epsilon"},
    "epsilon-gamma-box": {"first": "zbox", "conv": "gamma", "dense": "epsilon"},
    "epsilon-alpha2-beta1": {"conv": "alpha-beta", "dense": "epsilon"},
    "epsilon-alpha2-beta1-flat": {"first": "flat", "conv": "alpha-beta", "dense": "epsilon"},
}


M64 = (1 << 64) - 1


class PortableRng:
    """heatlens' Rng (src/core/rng.h): xoshiro256** seeded by splitmix64, so RISE's masks for a
    seed are the same here as in heatlens."""

    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed = (seed + 0x9E3779B97F4A7C15) & M64
            z = seed
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & M64

    def next(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def below(self, n):
        return int(self.uniform() * n)


def occlusion(model, x, target, window, stride, baseline):
    """Captum's Occlusion semantics: windows over H and W (all channels), mean of f(x) − f(x_occ)
    over the windows covering each pixel."""
    _, _, h, w = x.shape
    with torch.no_grad():
        fx = model(x)[0, target]
        total = torch.zeros(h, w, dtype=x.dtype)
        count = torch.zeros(h, w, dtype=x.dtype)
        for y0 in range(0, h - window + 1, stride):
            for x0 in range(0, w - window + 1, stride):
                occluded = x.clone()
                occluded[:, :, y0:y0 + window, x0:x0 + window] = baseline
                total[y0:y0 + window, x0:x0 + window] += fx - model(occluded)[0, target]
                count[y0:y0 + window, x0:x0 + window] += 1
        return (total / count.clamp(min=1) * (count > 0)).expand_as(x[0])[None]


def rise(model, x, target, masks, cell, keep, seed, center):
    """Petsiuk et al.'s RISE: coarse binary grids upsampled bilinearly, shifted by < 1 cell."""
    _, _, h, w = x.shape
    gh, gw = -(-h // cell), -(-w // cell)
    rng = PortableRng(seed)
    saliency = torch.zeros(h, w, dtype=x.dtype)
    coverage = torch.zeros(h, w, dtype=x.dtype)
    scores = []
    with torch.no_grad():
        for _ in range(masks):
            grid = torch.tensor([1.0 if rng.uniform() < keep else 0.0 for _ in range(gh * gw)], dtype=x.dtype)
            dy, dx = rng.below(cell), rng.below(cell)
            up = F.interpolate(grid.view(1, 1, gh, gw), size=((gh + 1) * cell, (gw + 1) * cell),
                               mode="bilinear", align_corners=False)[0, 0, dy:dy + h, dx:dx + w]
            f = model(x * up)[0, target]
            scores.append(float(f))
            saliency += f * up
            coverage += up
    if center:
        saliency -= sum(scores) / masks * coverage
    return (saliency / (masks * keep)).expand_as(x[0])[None]


def main():
    for i, (name, cls) in enumerate(NETS.items()):
        torch.manual_seed(200 + i)
        model = cls().eval()
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        x = torch.randn(1, 3, 16, 16)
        m32 = Exportable(copy.deepcopy(model).float()).eval()
        torch.onnx.export(m32, x.float(), os.path.join(folder, "model.onnx"), opset_version=13,
                          training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        x = x.float().double()  # the same float32 input in double precision
        np.save(os.path.join(folder, "input.npy"), x.float().numpy())
        with torch.no_grad():
            target = int(model(x).argmax())
        cases = []

        def save(case_name, method, params, relevance):
            np.save(os.path.join(folder, case_name + ".npy"), relevance.detach().float().numpy())
            cases.append({"file": case_name + ".npy", "method": method, "params": params})

        g = grad_of(model, x, target)
        save("gradient", "gradient", {}, g)
        save("gradient_abs", "gradient", {"postprocess": "abs"}, g.abs())
        save("gradient_square", "gradient", {"postprocess": "square"}, g ** 2)
        save("gradient_x_input", "gradient-x-input", {}, g * x)
        for rule, steps in [("gauss-legendre", 16), ("riemann-middle", 24), ("riemann-left", 8), ("riemann-right", 8)]:
            save(f"ig_{rule}", "integrated-gradients", {"rule": rule, "steps": str(steps)},
                 integrated_gradients(model, x, target, steps, rule))
        relu_kind = F.relu6 if isinstance(model, DepthwiseCnn) else None
        if relu_kind is None:  # guided backprop and DeconvNet modify ReLUs only
            save("guided_backprop", "guided-backprop", {}, grad_of(model, x, target, act=lambda t: GuidedRelu.apply(t, False)))
            save("deconvnet", "deconvnet", {}, grad_of(model, x, target, act=lambda t: GuidedRelu.apply(t, True)))
        up, _ = grad_cam(model, x, target, False)
        save("grad_cam", "grad-cam", {}, up.expand(1, 3, 16, 16) / 3)
        up, _ = grad_cam(model, x, target, True)
        save("grad_cam_plus_plus", "grad-cam-plus-plus", {}, up.expand(1, 3, 16, 16) / 3)
        if relu_kind is None:
            up, _ = grad_cam(model, x, target, False)
            gb = grad_of(model, x, target, act=lambda t: GuidedRelu.apply(t, False))
            save("guided_grad_cam", "guided-grad-cam", {}, gb * up)
        save("deeplift", "deeplift", {"baseline": "zero"}, deeplift(model, x, target))
        p = {"epsilon": 1e-6, "gamma": 0.25, "alpha": 2.0, "beta": 1.0, "low": -3.0, "high": 3.0}
        bounds = {"low": "-3", "high": "3"}
        for rule in ["0", "epsilon", "gamma", "alpha-beta", "zplus", "zbox", "flat", "wsquare"]:
            if rule == "zbox":
                continue  # z^B only applies to the layer fed by the input (see the composites)
            rp = dict(p, epsilon=0.01) if rule == "epsilon" else p
            params = {"rule": rule, **bounds}
            if rule == "epsilon":
                params["epsilon"] = "0.01"
            save(f"lrp_{rule}", "lrp", params, lrp(model, x, target, {"conv": rule, "dense": rule}, rp))
        for comp, rules in COMPOSITES.items():
            save(f"lrp_{comp}", "lrp", {"composite": comp, **bounds}, lrp(model, x, target, rules, p))
        save("deep_taylor", "deep-taylor", dict(bounds),
             lrp(model, x, target, {"first": "zbox", "conv": "zplus", "dense": "zplus"}, p))
        for window, stride, base in [(3, 2, 0.0), (4, 3, 0.5), (1, 1, 0.0)]:
            save(f"occlusion_w{window}_s{stride}", "occlusion",
                 {"window": str(window), "stride": str(stride), "baseline": str(base)},
                 occlusion(model, x, target, window, stride, base))
        for masks, cell, keep, seed, center in [(48, 4, 0.5, 7, False), (40, 3, 0.3, 11, True)]:
            save(f"rise_c{cell}_{'centered' if center else 'paper'}", "rise",
                 {"masks": str(masks), "cell": str(cell), "keep": str(keep), "seed": str(seed),
                  "center": "true" if center else "false", "batch-size": "7"},
                 rise(model, x, target, masks, cell, keep, seed, center))
        with open(os.path.join(folder, "cases.json"), "w") as fh:
            json.dump({"target": target, "cases": cases}, fh, indent=1)
        print(f"{name}: {len(cases)} cases, target {target}")


if __name__ == "__main__":
    main()
