#!/usr/bin/python3
"""PyTorch/NumPy references for heatlens' audio front end (src/media/stft, audio_features):
torch.stft spectra, mel filter banks written from torchaudio's definition (melscale_fbanks,
Slaney and HTK scales), log-mel spectrograms and the log-frequency DFT of instruments-spectrum.

    /usr/bin/python3 tests/golden/make_audio_goldens.py
writes tests/golden/audio/*.npy and cases.json; tests/unit/audio_test.cpp compares.
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "audio")
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "train"))
from instrument_features import FRONTENDS, features  # noqa: E402


def hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    mels = f / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    return np.where(f >= 1000, 1000 / (200.0 / 3) + np.log(np.maximum(f, 1e-10) / 1000) / log_step, mels)


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    knee = 1000 / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    return np.where(m >= knee, 1000 * np.exp(log_step * (m - knee)), m * (200.0 / 3))


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm, scale):
    """torchaudio.functional.melscale_fbanks, in NumPy."""
    all_freqs = np.linspace(0, sample_rate // 2, n_freqs)
    m_pts = np.linspace(hz_to_mel(f_min, scale), hz_to_mel(f_max, scale), n_mels + 2)
    f_pts = mel_to_hz(m_pts, scale)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    fb = np.maximum(0, np.minimum(down, up))
    if norm == "slaney":
        fb *= 2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels])
    return fb


def main():
    os.makedirs(OUT, exist_ok=True)
    rate = 16000
    t = np.arange(4000) / rate
    rng = np.random.default_rng(7)
    x = (0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 1250.5 * t + 0.3)
         + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
    np.save(os.path.join(OUT, "signal.npy"), x)
    cases = {"rate": rate, "stft": [], "mel": []}
    for n_fft, hop, win, window in [(256, 64, 256, "hann"), (512, 160, 400, "hamming")]:
        w = (torch.hann_window if window == "hann" else torch.hamming_window)(win, periodic=True, dtype=torch.float64)
        s = torch.stft(torch.from_numpy(x).double(), n_fft, hop_length=hop, win_length=win, window=w, center=True,
                       pad_mode="reflect", return_complex=True).numpy().T  # frames × bins
        name = f"stft_{n_fft}_{hop}_{win}_{window}.npy"
        np.save(os.path.join(OUT, name), np.stack([s.real, s.imag]).astype(np.float32))
        cases["stft"].append({"file": name, "n_fft": n_fft, "hop": hop, "win_length": win, "window": window})
        if n_fft == 256:
            power = np.abs(s) ** 2
            for scale, norm in [("slaney", "slaney"), ("htk", None)]:
                fb = melscale_fbanks(n_fft // 2 + 1, 0.0, 8000.0, 40, rate, norm, scale)
                fb_name = f"fbank_{scale}.npy"
                np.save(os.path.join(OUT, fb_name), fb.astype(np.float32))
                logmel = np.log(power @ fb + 1e-6)
                lm_name = f"logmel_{scale}.npy"
                np.save(os.path.join(OUT, lm_name), logmel.astype(np.float32))
                cases["mel"].append({"fbank": fb_name, "logmel": lm_name, "scale": scale, "slaney_norm": norm == "slaney",
                                     "n_mels": 40, "f_min": 0.0, "f_max": 8000.0, "stft": name})
            np.save(os.path.join(OUT, "logmag.npy"), np.log(np.abs(s) + 1e-6).astype(np.float32))
            cases["logmag"] = {"file": "logmag.npy", "stft": name}
    # The log-frequency DFT: 128 frequencies from 20 to 8000 Hz, power-normalised magnitude and phase.
    freqs = 20.0 * (8000.0 / 20.0) ** (np.arange(128) / 127)
    n = np.arange(x.size)
    X = (x.astype(np.float64)[None, :] * np.exp(-2j * np.pi * freqs[:, None] * n[None, :] / rate)).sum(1)
    spec = np.stack([np.abs(X) / np.sqrt((np.abs(X) ** 2).sum()), np.angle(X)])
    np.save(os.path.join(OUT, "logfreq_dft.npy"), spec.astype(np.float32))
    cases["logfreq_dft"] = {"file": "logfreq_dft.npy", "bins": 128, "f_min": 20.0, "f_max": 8000.0}
    # The instruments models' inputs, as their training script computes them, for a decaying
    # harmonic note (0.3 peak, 1.2 s: peak normalisation and cutting to 1 s both matter).
    t = np.arange(19200) / rate
    note = sum(0.3 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 9)) * np.exp(-3 * t)
    note = (note + 0.002 * rng.standard_normal(t.size)).astype(np.float32)
    np.save(os.path.join(OUT, "instrument_note.npy"), note)
    cases["instruments"] = []
    for name, frontend in FRONTENDS.items():
        file = f"{name}_features.npy"
        np.save(os.path.join(OUT, file), np.ascontiguousarray(features(frontend, note[None, :])[0]))
        cases["instruments"].append({"model": name, "features": file, "signal": "instrument_note.npy"})
    # A tiny spectrogram classifier with a card that names its front end, for the CLI's audio
    # tests (a .wav through heatlens run / explain --audio-out).
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten(), torch.nn.Linear(4, 3)).float().eval()
    folder = os.path.join(OUT, "tiny_model")
    os.makedirs(folder, exist_ok=True)
    torch.onnx.export(net, torch.zeros(1, 1, 129, 126), os.path.join(folder, "model.onnx"), opset_version=13,
                      input_names=["spectrogram"], output_names=["logits"],
                      dynamic_axes={"spectrogram": {0: "batch"}, "logits": {0: "batch"}})
    with open(os.path.join(folder, "card.json"), "w") as fh:
        json.dump({"name": "tiny-audio", "kind": "audio", "labels": ["low", "mid", "high"],
                   "audio_frontend": {"sample_rate": 16000, "duration": 0.5, "feature": "log-magnitude",
                                      "n_fft": 256, "hop": 64, "window": "hann"}}, fh, indent=1)
    with open(os.path.join(OUT, "cases.json"), "w") as fh:
        json.dump(cases, fh, indent=1)
    print(f"audio references: {len(cases['stft'])} spectra, {len(cases['mel'])} mel banks")


if __name__ == "__main__":
    main()
