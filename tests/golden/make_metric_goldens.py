#!/usr/bin/python3
"""NumPy/PyTorch references for heatlens' evaluation metrics (src/eval/), written from the
metrics' definitions independently of heatlens, on the plain CNN of make_explainer_goldens.py
(same seed, same weights) with its gradient map as the explanation.

    /usr/bin/python3 tests/golden/make_metric_goldens.py
writes tests/golden/metrics/cases.json (a box, and each metric's parameters, value and curve);
tests/unit/metric_golden_test.cpp compares heatlens with them.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_explainer_goldens as eg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "metrics")


class Rng(eg.PortableRng):
    """heatlens' Rng with its Box–Muller normal (the second variate kept for the next call)."""

    def __init__(self, seed):
        super().__init__(seed)
        self.spare = None

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1, u2 = self.uniform(), self.uniform()
        u1 = max(u1, 1e-300)
        r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(6.283185307179586 * u2)
        return r * math.cos(6.283185307179586 * u2)


def main():
    folder = os.path.join(HERE, "explainers", "plain_cnn")
    torch.manual_seed(200)  # as make_explainer_goldens.py builds plain_cnn
    model = eg.PlainCnn().eval()
    x = torch.from_numpy(np.load(os.path.join(folder, "input.npy"))).double()
    cases_in = json.load(open(os.path.join(folder, "cases.json")))
    target = cases_in["target"]
    rel = np.load(os.path.join(folder, "gradient.npy")).astype(np.float64)[0]  # [3, 16, 16]
    c, h, w = rel.shape
    spatial = rel.sum(0).reshape(-1)

    def logits(batch):
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(batch), dtype=torch.float64)).numpy()

    def score(l, space):
        if space == "logit":
            return l[:, target]
        logp = l[:, target] - l.max(1) - np.log(np.exp(l - l.max(1, keepdims=True)).sum(1))
        return np.exp(logp) if space == "prob" else logp

    x0 = x.numpy()[0]
    cases = []

    def add(metric, params, value, curve=None, extras=None):
        case = {"metric": metric, "params": params, "value": float(value)}
        if curve is not None:
            case["curve_x"] = [float(v) for v in curve[0]]
            case["curve_y"] = [float(v) for v in curve[1]]
        if extras:
            case["extras"] = {k: float(v) for k, v in extras.items()}
        cases.append(case)

    # Perturbation curves with zero replacement, by pixel and by 4×4 patch.
    def curve(unit, patch, steps, keep_ranked, ascending, space):
        if unit == "pixel":
            group = np.arange(h * w)
        else:
            gw = -(-w // patch)
            yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
            group = ((yy // patch) * gw + xx // patch).reshape(-1)
        count = group.max() + 1
        grel = np.zeros(count)
        np.add.at(grel, group, spatial)
        if ascending:
            grel = -grel
        order = np.argsort(-grel, kind="stable")
        rank = np.empty(count, dtype=np.int64)
        rank[order] = np.arange(count)
        steps = min(steps, count)
        counts = [(k * count + steps // 2) // steps for k in range(steps + 1)]
        batch = []
        for n in counts:
            ranked = (rank[group] < n).reshape(h, w)
            keep = ranked if keep_ranked else ~ranked
            batch.append(np.where(keep[None], x0, 0.0))
        return np.array(counts) / count, score(logits(batch), space)

    for unit, patch, steps in [("pixel", 4, 16), ("patch", 4, 8)]:
        base = {"replacement": "zero", "unit": unit, "patch": str(patch), "steps": str(steps)}
        fx, fy = curve(unit, patch, steps, False, False, "prob")
        add("deletion", base, np.trapz(fy, fx), (fx, fy))
        add("aopc", base, np.mean(fy[0] - fy), (fx, fy))
        ix, iy = curve(unit, patch, steps, True, False, "prob")
        add("insertion", base, np.trapz(iy, ix), (ix, iy))
        add("faithfulness-mf", base, np.trapz((iy - iy[0]) / (iy[-1] - iy[0]), ix), (ix, iy),
            {"q_O": iy[-1], "q_F": iy[0]})
        lx, ly = curve(unit, patch, steps, False, True, "logit")
        add("lerf", dict(base, score="logit"), np.trapz(ly, lx), (lx, ly))

    # Localization against a box [x0, y0, x1, y1) = [3, 2, 11, 9).
    box = np.zeros((h, w), dtype=bool)
    box[2:9, 3:11] = True
    flat_box = box.reshape(-1)
    order = np.argsort(-spatial, kind="stable")
    hits = np.cumsum(flat_box[order])
    ap = np.sum((hits / np.arange(1, h * w + 1)) * flat_box[order]) / flat_box.sum()
    add("explainability-mi", {}, ap)
    add("pointing-game", {}, float(flat_box[order[0]]))
    pos = np.maximum(spatial, 0)
    add("relevance-mass", {}, pos[flat_box].sum() / pos.sum())
    k = int(flat_box.sum())
    add("relevance-rank", {}, flat_box[order[:k]].mean())

    # Interpretation metrics: without a card the range is the input's own min and max.
    lo = np.full((c, 1, 1), x0.min())
    hi = np.full((c, 1, 1), x0.max())
    r = np.maximum(spatial, 0).reshape(h, w)
    r = r / r.max()
    raw = (x0 - lo) / (hi - lo)
    x_int = lo + (hi - lo) * raw * r[None]
    x_rest = lo + (hi - lo) * raw * (1 - r[None])
    l = logits([x0, x_int, x_rest])
    add("fidelity-to-input", {}, float(l[0].argmax() == l[1].argmax()))
    p = score(l, "prob")
    add("faithfulness-l2i", {}, p[0] - p[2], extras={"score_input": p[0], "score_without_interpretation": p[2]})

    # Sensitivity-n: Fisher–Yates subsets from the portable generator, zeroed, logit score.
    rng = Rng(5)
    n, samples = round(0.1 * h * w), 24
    subsets, sums = [], []
    for _ in range(samples):
        idx = list(range(h * w))
        chosen = np.zeros(h * w, dtype=bool)
        for j in range(n):
            pick = j + rng.below(h * w - j)
            idx[j], idx[pick] = idx[pick], idx[j]
            chosen[idx[j]] = True
        subsets.append(chosen)
        sums.append(spatial[chosen].sum())
    batch = [x0] + [np.where(s.reshape(h, w)[None], 0.0, x0) for s in subsets]
    f = score(logits(batch), "logit")
    add("sensitivity-n", {"fraction": "0.1", "samples": str(samples), "seed": "5"},
        np.corrcoef(sums, f[0] - f[1:])[0, 1], extras={"n": n})

    # Infidelity: Gaussian perturbations (float32, as heatlens draws them), optimal β.
    rng = Rng(9)
    samples, sigma = 20, 0.2
    noise = np.array([[np.float32(sigma * rng.normal()) for _ in range(x0.size)] for _ in range(samples)],
                     dtype=np.float64).reshape(samples, *x0.shape)
    dots = (noise * rel[None]).reshape(samples, -1).sum(1)
    f = score(logits([x0] + [x0 - e for e in noise]), "logit")
    drops = f[0] - f[1:]
    beta = (dots * drops).sum() / (dots * dots).sum()
    add("infidelity", {"samples": str(samples), "std": str(sigma), "seed": "9"},
        np.mean((beta * dots - drops) ** 2), extras={"beta": beta})

    # Complexity of |Σ_c R|.
    a = np.sort(np.abs(spatial))
    nn = a.size
    add("sparseness", {}, np.sum((2 * np.arange(1, nn + 1) - nn - 1) * a) / (nn * a.sum()))
    q = np.abs(spatial) / np.abs(spatial).sum()
    add("complexity", {}, -np.sum(q[q > 0] * np.log(q[q > 0])))

    # Metrics that re-run the method, with the gradient computed here by autograd.
    def gradient(inp):
        t = torch.tensor(np.asarray(inp, dtype=np.float32)[None], dtype=torch.float64, requires_grad=True)
        model(t)[0, target].backward()
        return t.grad[0].numpy()

    g0 = gradient(x0)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "gradient_x_input.npy"), (g0 * x0)[None].astype(np.float32))
    # Input shift: g(x + c) = f(x), so the gradient is unchanged and Gradient×Input gains g·c.
    shift = 0.7
    gxi_shifted = g0 * (x0.astype(np.float32) + np.float32(shift))
    cases.append({"metric": "input-shift", "method": "gradient-x-input", "relevance": "gradient_x_input.npy",
                  "params": {"shift": str(shift)},
                  "value": float(np.linalg.norm(gxi_shifted - g0 * x0) / np.linalg.norm(g0 * x0))})
    cases.append({"metric": "input-shift", "method": "gradient", "params": {"shift": str(shift)}, "value": 0.0})
    # Max-sensitivity: uniform perturbations in the L∞ ball of radius·(per-channel range).
    rng = Rng(3)
    radius, samples = 0.05, 4
    span = (hi - lo).reshape(c, 1, 1) * np.ones((c, h, w))
    worst = 0.0
    for _ in range(samples):
        delta = np.array([radius * span.reshape(-1)[i] * (2 * rng.uniform() - 1) for i in range(x0.size)]).reshape(x0.shape)
        moved = (x0.astype(np.float32) + delta.astype(np.float32)).astype(np.float32)
        worst = max(worst, np.linalg.norm(gradient(moved) - rel) / np.linalg.norm(rel))
    cases.append({"metric": "max-sensitivity", "method": "gradient",
                  "params": {"samples": str(samples), "radius": str(radius), "seed": "3"}, "value": worst})

    with open(os.path.join(OUT, "cases.json"), "w") as fh:
        json.dump({"target": target, "box": [3, 2, 11, 9], "relevance": "../explainers/plain_cnn/gradient.npy",
                   "cases": cases}, fh, indent=1)
    print(f"{len(cases)} metric cases, target {target}")


if __name__ == "__main__":
    main()
