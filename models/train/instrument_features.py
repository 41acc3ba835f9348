"""The instruments models' inputs, computed exactly as heatlens' C++ audio front end computes
them from the card's "audio_frontend" (src/media/audio_frontend.cpp): the clip cut or padded
to `duration`, optionally scaled to a peak of 1, then either

- log-magnitude: log(|STFT| + eps), torch.stft conventions (periodic window, centre padding by
  reflection), laid out [1, frequency, time];
- log-frequency-dft: one DFT of the whole clip at `bins` frequencies spaced logarithmically
  from f_min to f_max, magnitude divided by the root of the total power, and phase: [2, bins].

tests/golden/make_audio_goldens.py writes these features of a fixed signal next to the cards'
parameters, and tests/unit/audio_test.cpp checks that the C++ front end gives the same.
"""
import numpy as np
import torch

FRONTENDS = {
    "instruments": {"sample_rate": 16000, "duration": 1.0, "normalise": "peak", "feature": "log-magnitude",
                    "n_fft": 512, "hop": 256, "window": "hann", "eps": 0.01},
    "instruments-spectrum": {"sample_rate": 16000, "duration": 1.0, "feature": "log-frequency-dft",
                             "bins": 256, "f_min": 20.0, "f_max": 8000.0},
}


def clip(frontend, audio):
    """audio: [N, samples] at the front end's rate → [N, duration × rate] float64."""
    audio = np.asarray(audio, dtype=np.float64)
    n = int(frontend["duration"] * frontend["sample_rate"] + 0.5)
    out = np.zeros((len(audio), n))
    out[:, :min(n, audio.shape[1])] = audio[:, :n]
    if frontend.get("normalise", "none") == "peak":
        out /= np.abs(out).max(1, keepdims=True)
    return out


def log_frequency_basis(frontend, samples):
    rate, bins = frontend["sample_rate"], frontend["bins"]
    freqs = frontend["f_min"] * (frontend["f_max"] / frontend["f_min"]) ** (np.arange(bins) / (bins - 1))
    return np.exp(-2j * np.pi * np.arange(samples)[:, None] * freqs[None, :] / rate)  # samples × bins


def features(frontend, audio, batch=512):
    """The model inputs [N, 1, F, T] or [N, 2, bins] (float32) for audio [N, samples]."""
    x = clip(frontend, audio)
    out = []
    if frontend["feature"] == "log-frequency-dft":
        basis = torch.from_numpy(log_frequency_basis(frontend, x.shape[1]))
        for i in range(0, len(x), batch):
            spec = (torch.from_numpy(x[i:i + batch]).to(torch.complex128) @ basis).numpy()
            mag = np.abs(spec) / np.sqrt((np.abs(spec) ** 2).sum(1, keepdims=True))
            out.append(np.stack([mag, np.angle(spec)], 1).astype(np.float32))
        return np.concatenate(out)
    assert frontend["feature"] == "log-magnitude" and frontend["window"] == "hann"
    n_fft, hop = frontend["n_fft"], frontend["hop"]
    window = torch.hann_window(frontend.get("win_length", n_fft), periodic=True, dtype=torch.float64)
    for i in range(0, len(x), batch):
        spec = torch.stft(torch.from_numpy(x[i:i + batch]), n_fft, hop_length=hop, window=window, center=True,
                          pad_mode="reflect", return_complex=True)  # N × bins × frames
        out.append(torch.log(spec.abs() + frontend["eps"]).unsqueeze(1).float().numpy())
    return np.concatenate(out)
