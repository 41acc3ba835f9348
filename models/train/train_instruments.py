#!/usr/bin/python3
"""Trains the instrument-family classifiers (ten General MIDI families, in the spirit of the
NSynth experiment of "In-Distribution Interpretability for Challenging Modalities"):

- instruments: a 2-D CNN with BatchNorm on a log-magnitude spectrogram (STFT 512/256, Hann);
- instruments-spectrum: the paper's input, one DFT of the note on a logarithmic frequency axis
  (20–8000 Hz, 256 bins), power-normalised magnitude and phase as two channels, a 1-D CNN.

    /usr/bin/python3 models/train/train_instruments.py --model instruments [--epochs N] [--seed 0]
    /usr/bin/python3 models/train/train_instruments.py --model instruments-spectrum

Notes come from render_notes.py: trained on the FluidR3_GM and TimGM6mb soundfonts (a fixed,
seeded 15% of their notes held out), tested on MuseScore_General, a soundfont the model never
heard. The features are computed by instrument_features.py, which matches heatlens' C++ front
end (checked by tests/unit/audio_test.cpp against tests/golden/audio/instruments_*.npy).
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, Timer, evaluate, export, seed_everything, write_card  # noqa: E402
from instrument_features import FRONTENDS, features  # noqa: E402
from render_notes import FAMILIES, LABELS, render_font  # noqa: E402

TRAIN_FONTS = ["fluidr3", "timgm6mb"]
TEST_FONT = "musescore"
HELD_OUT = 0.15


def conv_bn_relu(cin, cout, dims):
    conv, bn = (nn.Conv2d, nn.BatchNorm2d) if dims == 2 else (nn.Conv1d, nn.BatchNorm1d)
    return [conv(cin, cout, 3, padding=1, bias=False), bn(cout), nn.ReLU()]


def make_model(name):
    if name == "instruments":  # [N, 1, 257, 63]
        w = [8, 16, 32, 64]
        return nn.Sequential(
            *conv_bn_relu(1, w[0], 2), nn.MaxPool2d(2), *conv_bn_relu(w[0], w[1], 2), nn.MaxPool2d(2),
            *conv_bn_relu(w[1], w[2], 2), nn.MaxPool2d(2), *conv_bn_relu(w[2], w[3], 2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(w[3], 10))
    # [N, 2, 256]: frequency position matters (formants, registers), so no global pooling.
    w = [32, 64, 96, 96]
    return nn.Sequential(
        *conv_bn_relu(2, w[0], 1), nn.MaxPool1d(2), *conv_bn_relu(w[0], w[1], 1), nn.MaxPool1d(2),
        *conv_bn_relu(w[1], w[2], 1), nn.MaxPool1d(2), *conv_bn_relu(w[2], w[3], 1), nn.MaxPool1d(4),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(w[3] * 8, 10))


def load(fonts, name):
    xs, ys, meta = [], [], []
    for font in fonts:
        d = render_font(font)
        xs.append(features(FRONTENDS[name], d["audio"].astype(np.float32) / 32767))
        ys.append(d["family"].astype(np.int64))
        meta.append(np.stack([d["program"], d["pitch"], d["velocity"]], 1))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(meta)


def augment(x, name, floor):
    """Level- and timbre-preserving variations a recording may have: a smooth random
    equalisation (±0.5 nats across frequency), a frequency band and a time span masked
    (spectrogram only), a small onset delay (spectrogram only)."""
    n = len(x)
    bins = x.shape[2]
    pos = torch.linspace(0, 1, bins)
    eq = sum(torch.randn(n, 1) * 0.25 * torch.cos(np.pi * k * pos)[None, :] for k in range(1, 4))
    if name == "instruments-spectrum":
        mag = x[:, 0] * torch.exp(eq)
        mag = mag / mag.pow(2).sum(1, keepdim=True).sqrt()
        return torch.stack([mag, x[:, 1]], 1)
    out = x + eq[:, None, :, None]
    out = torch.maximum(out, torch.tensor(floor))
    shift = np.random.randint(0, 3)
    if shift:
        out = torch.cat([torch.full_like(out[..., :shift], floor), out[..., :-shift]], -1)
    for i in range(n):
        f0, fw = np.random.randint(0, bins), np.random.randint(0, 24)
        t0, tw = np.random.randint(0, x.shape[3]), np.random.randint(0, 6)
        out[i, :, f0:f0 + fw, :] = floor
        out[i, :, :, t0:t0 + tw] = floor
    return out


def last_relu_output(path):
    graph = onnx.load(path).graph
    return [n.output[0] for n in graph.node if n.op_type == "Relu"][-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=list(FRONTENDS), required=True)
    parser.add_argument("--epochs", type=int, default=0, help="default: 20 (instruments), 40 (instruments-spectrum)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    name = args.model
    epochs = args.epochs or (20 if name == "instruments" else 40)
    seed_everything(args.seed)
    timer = Timer()
    x, y, meta = load(TRAIN_FONTS, name)
    xte, yte, _ = load([TEST_FONT], name)
    held = np.random.default_rng(args.seed).random(len(x)) < HELD_OUT
    xtr, ytr = torch.from_numpy(x[~held]), torch.from_numpy(y[~held])
    xva, yva = torch.from_numpy(x[held]), torch.from_numpy(y[held])
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)
    print(f"data: {len(xtr)} training, {len(xva)} held-out, {len(xte)} unseen-font notes, input "
          f"{list(xtr.shape[1:])} ({timer.minutes():.1f} min)", flush=True)
    floor = float(np.log(FRONTENDS[name].get("eps", 1.0)))
    counts = torch.bincount(ytr, minlength=10).float()
    weights = counts.sum() / (10 * counts)  # every family counts the same
    model = make_model(name)
    batch = 64
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(augment(xtr[idx], name, floor)), ytr[idx], weight=weights,
                                   label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        va, _ = evaluate(model, xva, yva, classes=10)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, held-out {va:.4f} ({timer.minutes():.1f} min)",
              flush=True)
    minutes = timer.minutes()
    va, _ = evaluate(model, xva, yva, classes=10)
    te, confusion = evaluate(model, xte, yte, classes=10)
    tr, _ = evaluate(model, xtr[:5000], ytr[:5000], classes=10)
    print(f"{name}: held-out notes {va:.4f}, unseen font {te:.4f}, training {tr:.4f}", flush=True)
    folder = export(model, name, xte[:1])
    frontend = FRONTENDS[name]
    spectrum = name == "instruments-spectrum"
    shape = ["batch", 2, frontend["bins"]] if spectrum else ["batch"] + list(xtr.shape[1:])
    bounds = [-3.1416, 3.1416] if spectrum else [round(floor, 4), round(float(np.log(frontend["n_fft"] / 2 + frontend["eps"])), 4)]
    targets = {"held_out": 0.90, "unseen_font": 0.60 if spectrum else 0.65}
    data = ("Notes rendered with fluidsynth 2.3 (reverb and chorus off) from Debian's General MIDI soundfonts: "
            "FluidR3_GM (fluid-soundfont-gm, MIT) and TimGM6mb (timgm6mb-soundfont, GPL-2) for training, "
            "MuseScore_General (musescore-general-soundfont, MIT) for the unseen-font test. Programs per family: "
            + "; ".join(f"{f} {p[0]}" for f, p in FAMILIES.items()) + " (0-based General MIDI numbers); every "
            "pitch of the family's range at velocities 50, 85 and 120, 1 s from the onset (held 0.75 s), 16 kHz "
            "mono. Notes a soundfont renders silent are dropped. A seeded 15% of the training fonts' notes is "
            "held out. models/train/render_notes.py makes the data; nothing of it is committed.")
    if spectrum:
        summary = ("Instrument-family classifier on the seed paper's input: one DFT of the note at 256 log-spaced "
                   "frequencies (20–8000 Hz), power-normalised magnitude and phase as two channels; a 1-D CNN.")
        arch = ("Conv1d-BN-ReLU blocks 2→32→64→96→96 (kernel 3) with max pooling (2, 2, 2, 4), flatten (96×8), "
                "dropout, Linear 768→10.")
        inp = ("[batch, 2, 256]: channel 0 the magnitude |X(f)| / √Σ|X|² at f = 20·400^(k/255) Hz, channel 1 the "
               "phase arg X(f) in radians, X the DFT of the whole 1-second clip.")
    else:
        summary = ("Instrument-family classifier on a log-magnitude spectrogram computed by heatlens' audio front "
                   "end; a small 2-D CNN with BatchNorm.")
        arch = ("Conv-BN-ReLU blocks 1→8→16→32→64 (3×3) with 2×2 max pooling after the first three, global "
                "average pooling, dropout, Linear 64→10.")
        inp = ("[batch, 1, 257, 63]: log(|STFT| + 0.01) of the 1-second clip scaled to a peak of 1 (n_fft 512, hop "
               "256, periodic Hann window, centre padding by reflection); rows are frequencies 0–8000 Hz in 31.25 Hz "
               "steps, columns 16 ms frames.")
    card = {
        "name": name,
        "kind": "audio",
        "summary": summary,
        "input": {"name": "input", "shape": shape, "layout": "NCW" if spectrum else "NCHW"},
        "audio_frontend": frontend,
        "input_bounds": bounds,
        "labels": LABELS,
        "accuracy": {"test": round(te, 4), "held_out_notes": round(va, 4), "unseen_font": round(te, 4),
                     "train": round(tr, 4), "target": targets,
                     "meets_target": va >= targets["held_out"] and te >= targets["unseen_font"]},
        "data": data,
        "training": {"command": f"/usr/bin/python3 models/train/train_instruments.py --model {name} --epochs {epochs} "
                                f"--seed {args.seed}",
                     "epochs": epochs, "seed": args.seed, "minutes": round(minutes, 1),
                     "optimizer": f"AdamW (weight decay 0.01), one-cycle learning rate up to 3e-3, batch {batch}, "
                                  "class-balanced cross-entropy with label smoothing 0.1; augmentation: smooth random "
                                  "equalisation" + ("" if spectrum else ", frequency and time masks, onset delays"),
                     "machine": "2 CPU cores, Debian PyTorch 1.13"},
        "licence": "model weights: MIT (this project); soundfont licences as stated under data",
    }
    if not spectrum:
        card["gradcam_layer"] = last_relu_output(os.path.join(folder, "model.onnx"))
    write_card(folder, card, confusion, [
        ("Intended use", "Demonstrations of explanation methods on sound in heatlens: "
                         + ("which frequencies of a note make it a flute or a guitar, and whether the magnitude or "
                            "the phase of the spectrum carries the decision (the seed paper's question)."
                            if spectrum else "which frequencies and moments of a note make it a flute or a guitar, "
                            "heard through listenable explanations.")),
        ("Architecture", f"{arch} {sum(p.numel() for p in model.parameters()):,} parameters."),
        ("Input", inp + " heatlens computes it from a WAV (any rate; resampled to 16 kHz, mixed to mono, cut or "
                        "zero-padded to 1 s); the card's audio_frontend holds the parameters."),
        ("Data", data),
        ("Metrics", f"Held-out notes of the training soundfonts: {va:.2%} (target 90%). Unseen soundfont "
                    f"(MuseScore_General, {len(xte)} notes): {te:.2%} (target {targets['unseen_font']:.0%}). "
                    "The confusion matrix below is on the unseen font."),
        ("Training", f"`{card['training']['command']}` — {epochs} epochs, {card['training']['optimizer']}; "
                     f"{card['training']['minutes']} minutes on 2 CPU cores."),
        ("Limitations", "Single isolated notes of synthesised (sample-based) instruments, 1 second from the onset; "
                        "chords, melodies, real recordings with room sound or noise are outside what it saw. "
                        "Families overlap in sound (organ and reed, string ensembles and brass sections), and "
                        "the unseen-font figure shows how much depends on a soundfont's particular samples."),
    ])
    print(f"{name}: wrote {folder}")


if __name__ == "__main__":
    main()
