#include "media/audio_features.h"

#include <cmath>

#include "core/error.h"

namespace heatlens {

namespace {

constexpr double kSlaneyLinear = 200.0 / 3;             // Hz per mel below 1 kHz
constexpr double kSlaneyLogStep = 0.06875177742094912;  // ln(6.4) / 27

}  // namespace

double hz_to_mel(double hz, MelScale scale) {
  if (scale == MelScale::htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < 1000) return hz / kSlaneyLinear;
  return 1000 / kSlaneyLinear + std::log(hz / 1000) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale scale) {
  if (scale == MelScale::htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  const double knee = 1000 / kSlaneyLinear;
  if (mel < knee) return mel * kSlaneyLinear;
  return 1000 * std::exp(kSlaneyLogStep * (mel - knee));
}

std::vector<float> mel_filterbank(int64_t n_freqs, int sample_rate, int64_t n_mels, double f_min,
                                  double f_max, MelScale scale, bool slaney_norm) {
  HEATLENS_CHECK(n_freqs >= 2 && n_mels >= 1,
                 "a mel filter bank needs ≥ 2 frequencies and ≥ 1 mel");
  HEATLENS_CHECK(f_min >= 0 && f_max > f_min, "mel range must satisfy 0 ≤ f_min < f_max");
  std::vector<double> freqs(n_freqs), f_pts(n_mels + 2);
  const double nyquist = static_cast<double>(sample_rate / 2);  // torchaudio: sample_rate // 2
  for (int64_t i = 0; i < n_freqs; ++i) freqs[i] = nyquist * i / (n_freqs - 1);
  const double m_min = hz_to_mel(f_min, scale), m_max = hz_to_mel(f_max, scale);
  for (int64_t k = 0; k < n_mels + 2; ++k)
    f_pts[k] = mel_to_hz(m_min + (m_max - m_min) * k / (n_mels + 1), scale);
  std::vector<float> fb(n_freqs * n_mels, 0.0f);
  for (int64_t f = 0; f < n_freqs; ++f) {
    for (int64_t m = 0; m < n_mels; ++m) {
      const double down = (freqs[f] - f_pts[m]) / (f_pts[m + 1] - f_pts[m]);
      const double up = (f_pts[m + 2] - freqs[f]) / (f_pts[m + 2] - f_pts[m + 1]);
      double v = std::max(0.0, std::min(down, up));
      if (slaney_norm) v *= 2.0 / (f_pts[m + 2] - f_pts[m]);
      fb[f * n_mels + m] = static_cast<float>(v);
    }
  }
  return fb;
}

std::vector<float> log_magnitude(const Spectrum& s, float eps) {
  std::vector<float> out(s.values.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = std::log(std::abs(s.values[i]) + eps);
  return out;
}

std::vector<float> log_mel(const Spectrum& s, const std::vector<float>& fb, int64_t n_mels,
                           float eps) {
  HEATLENS_CHECK(static_cast<int64_t>(fb.size()) == s.bins * n_mels,
                 "the mel filter bank does not match the spectrum's " << s.bins << " bins");
  std::vector<float> out(s.frames * n_mels);
  for (int64_t f = 0; f < s.frames; ++f) {
    for (int64_t m = 0; m < n_mels; ++m) {
      double sum = 0;
      for (int64_t b = 0; b < s.bins; ++b) sum += std::norm(s.at(f, b)) * fb[b * n_mels + m];
      out[f * n_mels + m] = static_cast<float>(std::log(sum + eps));
    }
  }
  return out;
}

std::vector<float> log_frequency_dft(const std::vector<float>& x, int sample_rate, int64_t bins,
                                     double f_min, double f_max) {
  HEATLENS_CHECK(bins >= 2 && f_min > 0 && f_max > f_min,
                 "log-frequency DFT needs bins ≥ 2 and 0 < f_min < f_max");
  HEATLENS_CHECK(f_max <= sample_rate / 2.0, "f_max " << f_max
                                                      << " Hz is above the Nyquist frequency of "
                                                      << sample_rate << " Hz audio");
  const double pi = 3.14159265358979323846;
  std::vector<std::complex<double>> X(bins);
  double power = 0;
  for (int64_t k = 0; k < bins; ++k) {
    const double f = f_min * std::pow(f_max / f_min, static_cast<double>(k) / (bins - 1));
    const double w = -2 * pi * f / sample_rate;
    std::complex<double> sum = 0;
    for (size_t n = 0; n < x.size(); ++n)
      sum += static_cast<double>(x[n]) * std::complex<double>(std::cos(w * n), std::sin(w * n));
    X[k] = sum;
    power += std::norm(sum);
  }
  const double scale = power > 0 ? 1.0 / std::sqrt(power) : 0.0;
  std::vector<float> out(2 * bins);
  for (int64_t k = 0; k < bins; ++k) {
    out[k] = static_cast<float>(std::abs(X[k]) * scale);
    out[bins + k] = static_cast<float>(std::arg(X[k]));
  }
  return out;
}

}  // namespace heatlens
