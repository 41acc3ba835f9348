// Audio features the bundled audio models read: log-magnitude and log-mel spectrograms (mel
// filter banks on the Slaney or HTK scale, as torchaudio's melscale_fbanks) and the single
// log-frequency DFT of a note (magnitude and phase channels). The training scripts compute the
// same features; tests compare both with NumPy/PyTorch references.
//
//   Spectrum s = stft(x, {512, 128});
//   std::vector<float> lm = log_magnitude(s);                   // frames × bins
//   std::vector<float> fb = mel_filterbank(257, 16000, 64, 0, 8000, MelScale::slaney, true);
#pragma once

#include <vector>

#include "media/stft.h"

namespace heatlens {

enum class MelScale { slaney, htk };

double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// [n_freqs × n_mels] triangular filters over the FFT bins 0 … sample_rate / 2; slaney_norm
// scales each to unit area (2 / (f_{m+2} − f_m)).
std::vector<float> mel_filterbank(int64_t n_freqs, int sample_rate, int64_t n_mels, double f_min,
                                  double f_max, MelScale scale, bool slaney_norm);

// ln(|X| + eps), frames × bins.
std::vector<float> log_magnitude(const Spectrum& s, float eps = 1e-6f);
// ln(Σ_f |X_f|² · fb[f, m] + eps), frames × n_mels.
std::vector<float> log_mel(const Spectrum& s, const std::vector<float>& filterbank, int64_t n_mels,
                           float eps = 1e-6f);

// One DFT of the whole signal at `bins` frequencies spaced logarithmically from f_min to f_max:
// channel 0 the magnitude divided by √(Σ |X_k|²) (power-normalised), channel 1 the phase in
// (−π, π]. Returns 2 × bins.
std::vector<float> log_frequency_dft(const std::vector<float>& x, int sample_rate, int64_t bins,
                                     double f_min, double f_max);

}  // namespace heatlens
