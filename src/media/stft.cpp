#include "media/stft.h"

#include <unsupported/Eigen/FFT>

#include <cmath>

#include "core/error.h"

namespace heatlens {

namespace {

void check(const StftConfig& c) {
  HEATLENS_CHECK(c.n_fft >= 2, "n_fft must be at least 2");
  HEATLENS_CHECK(c.hop >= 1, "hop must be at least 1");
  const int64_t win = c.win_length ? c.win_length : c.n_fft;
  HEATLENS_CHECK(win >= 1 && win <= c.n_fft, "win_length must be in [1, n_fft]");
}

}  // namespace

std::vector<float> stft_window(const StftConfig& c) {
  check(c);
  const int64_t win = c.win_length ? c.win_length : c.n_fft;
  const double pi = 3.14159265358979323846;
  std::vector<float> w(c.n_fft, 0.0f);
  const int64_t offset = (c.n_fft - win) / 2;
  for (int64_t i = 0; i < win; ++i) {
    double v = 1;
    if (c.window == "hann")
      v = 0.5 - 0.5 * std::cos(2 * pi * i / win);
    else if (c.window == "hamming")
      v = 0.54 - 0.46 * std::cos(2 * pi * i / win);
    else
      HEATLENS_CHECK(c.window == "rect",
                     "unknown window '" << c.window << "' (hann, hamming or rect)");
    w[offset + i] = static_cast<float>(v);
  }
  return w;
}

std::vector<std::complex<float>> rfft(const std::vector<float>& frame) {
  Eigen::FFT<float> fft;
  fft.SetFlag(Eigen::FFT<float>::HalfSpectrum);
  std::vector<std::complex<float>> out;
  fft.fwd(out, frame);
  return out;
}

std::vector<float> irfft(const std::vector<std::complex<float>>& half, int64_t n) {
  Eigen::FFT<float> fft;
  fft.SetFlag(Eigen::FFT<float>::HalfSpectrum);
  std::vector<float> out;
  fft.inv(out, half, n);
  return out;
}

Spectrum stft(const std::vector<float>& x, const StftConfig& c) {
  const std::vector<float> w = stft_window(c);
  const int64_t n = static_cast<int64_t>(x.size()), pad = c.center ? c.n_fft / 2 : 0;
  HEATLENS_CHECK(!c.center || n > pad,
                 "the signal (" << n << " samples) is too short for centre padding of " << pad);
  // Reflection padding as torch's pad_mode='reflect' (the edge sample is not repeated).
  auto sample = [&](int64_t i) {
    i -= pad;
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return x[i];
  };
  const int64_t total = n + 2 * pad;
  HEATLENS_CHECK(total >= c.n_fft,
                 "the signal (" << n << " samples) is shorter than n_fft " << c.n_fft);
  Spectrum s;
  s.frames = 1 + (total - c.n_fft) / c.hop;
  s.bins = c.n_fft / 2 + 1;
  s.values.resize(s.frames * s.bins);
  Eigen::FFT<float> fft;
  fft.SetFlag(Eigen::FFT<float>::HalfSpectrum);
  std::vector<float> frame(c.n_fft);
  std::vector<std::complex<float>> out;
  for (int64_t f = 0; f < s.frames; ++f) {
    for (int64_t i = 0; i < c.n_fft; ++i) frame[i] = sample(f * c.hop + i) * w[i];
    fft.fwd(out, frame);
    std::copy(out.begin(), out.begin() + s.bins, s.values.begin() + f * s.bins);
  }
  return s;
}

std::vector<float> istft(const Spectrum& s, const StftConfig& c, int64_t length) {
  const std::vector<float> w = stft_window(c);
  HEATLENS_CHECK(s.bins == c.n_fft / 2 + 1, "the spectrum has " << s.bins << " bins; n_fft "
                                                                << c.n_fft << " needs "
                                                                << c.n_fft / 2 + 1);
  const int64_t total = c.n_fft + c.hop * (s.frames - 1), pad = c.center ? c.n_fft / 2 : 0;
  std::vector<double> y(total, 0.0), envelope(total, 0.0);
  Eigen::FFT<float> fft;
  fft.SetFlag(Eigen::FFT<float>::HalfSpectrum);
  std::vector<std::complex<float>> half(s.bins);
  std::vector<float> frame;
  for (int64_t f = 0; f < s.frames; ++f) {
    std::copy(s.values.begin() + f * s.bins, s.values.begin() + (f + 1) * s.bins, half.begin());
    fft.inv(frame, half, c.n_fft);
    for (int64_t i = 0; i < c.n_fft; ++i) {
      y[f * c.hop + i] += static_cast<double>(frame[i]) * w[i];
      envelope[f * c.hop + i] += static_cast<double>(w[i]) * w[i];
    }
  }
  std::vector<float> out(length, 0.0f);
  for (int64_t i = 0; i < length && i + pad < total; ++i) {
    const double e = envelope[i + pad];
    out[i] = e > 1e-11 ? static_cast<float>(y[i + pad] / e) : 0.0f;
  }
  return out;
}

}  // namespace heatlens
