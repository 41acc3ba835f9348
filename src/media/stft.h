// Short-time Fourier transform and its inverse with PyTorch's conventions (torch.stft /
// torch.istft: periodic window of win_length centred in n_fft, centre padding by reflection,
// one-sided spectrum, overlap-add divided by the summed squared window), on a real FFT from
// Eigen's FFT module (kissfft inside; header-only, so it builds for WebAssembly too).
//
//   StftConfig c{512, 128};
//   Spectrum s = stft(x, c);                       // s.at(frame, bin)
//   std::vector<float> y = istft(s, c, x.size());  // ≈ x
#pragma once

#include <complex>
#include <cstdint>
#include <string>
#include <vector>

namespace heatlens {

struct StftConfig {
  int64_t n_fft = 512;
  int64_t hop = 128;
  int64_t win_length = 0;  // 0: n_fft
  bool center = true;
  std::string window = "hann";  // hann | hamming | rect
};

struct Spectrum {
  int64_t frames = 0, bins = 0;             // bins = n_fft / 2 + 1
  std::vector<std::complex<float>> values;  // frames × bins, frame-major
  std::complex<float>& at(int64_t frame, int64_t bin) { return values[frame * bins + bin]; }
  const std::complex<float>& at(int64_t frame, int64_t bin) const {
    return values[frame * bins + bin];
  }
};

// The analysis window (periodic, as torch.hann_window(n)), zero-padded to n_fft and centred.
std::vector<float> stft_window(const StftConfig& c);
Spectrum stft(const std::vector<float>& x, const StftConfig& c);
// Overlap-add inverse; `length` samples of output (the input's length).
std::vector<float> istft(const Spectrum& s, const StftConfig& c, int64_t length);

// Real FFT helpers (n_fft / 2 + 1 bins) used by the STFT and the tests.
std::vector<std::complex<float>> rfft(const std::vector<float>& frame);
std::vector<float> irfft(const std::vector<std::complex<float>>& half, int64_t n);

}  // namespace heatlens
