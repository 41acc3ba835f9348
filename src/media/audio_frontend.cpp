#include "media/audio_frontend.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "media/resample.h"

namespace heatlens {

AudioFrontend parse_audio_frontend(const nlohmann::json& j) {
  AudioFrontend f;
  f.sample_rate = j.value("sample_rate", f.sample_rate);
  f.duration = j.value("duration", f.duration);
  f.feature = j.value("feature", f.feature);
  const std::string normalise = j.value("normalise", std::string("none"));
  HEATLENS_CHECK(normalise == "none" || normalise == "peak",
                 "'normalise' must be none or peak, not '" << normalise << "'");
  f.peak_normalise = normalise == "peak";
  f.stft.n_fft = j.value("n_fft", f.stft.n_fft);
  f.stft.hop = j.value("hop", f.stft.hop);
  f.stft.win_length = j.value("win_length", f.stft.win_length);
  f.stft.window = j.value("window", f.stft.window);
  f.stft.center = j.value("center", f.stft.center);
  f.n_mels = j.value("n_mels", f.n_mels);
  f.f_min = j.value("f_min", f.f_min);
  f.f_max = j.value("f_max", f.f_max);
  const std::string scale = j.value("mel_scale", std::string("slaney"));
  HEATLENS_CHECK(scale == "slaney" || scale == "htk", "'mel_scale' must be slaney or htk");
  f.mel_scale = scale == "htk" ? MelScale::htk : MelScale::slaney;
  f.mel_norm = j.value("mel_norm", std::string("slaney")) == "slaney";
  f.eps = j.value("eps", f.eps);
  f.bins = j.value("bins", f.bins);
  HEATLENS_CHECK(f.sample_rate > 0 && f.duration > 0,
                 "'sample_rate' and 'duration' must be positive");
  HEATLENS_CHECK(
      f.feature == "log-magnitude" || f.feature == "log-mel" || f.feature == "log-frequency-dft",
      "'feature' must be log-magnitude, log-mel or log-frequency-dft, not '" << f.feature << "'");
  if (f.f_max <= 0) f.f_max = f.sample_rate / 2.0;
  return f;
}

std::vector<float> audio_clip(const AudioFrontend& f, const Audio& audio) {
  HEATLENS_CHECK(!audio.samples.empty(), "the recording has no samples");
  std::vector<float> clip = resample(audio.samples, audio.sample_rate, f.sample_rate);
  clip.resize(f.samples(), 0.0f);
  if (f.peak_normalise)
    HEATLENS_CHECK(normalise_peak(clip) > 0,
                   "the recording is silent in its first " << f.duration << " s");
  return clip;
}

float normalise_peak(std::vector<float>& clip) {
  float peak = 0;
  for (float v : clip) peak = std::max(peak, std::abs(v));
  if (peak > 0)
    for (float& v : clip) v /= peak;
  return peak;
}

namespace {

std::vector<float> filterbank(const AudioFrontend& f) {
  return mel_filterbank(f.stft.n_fft / 2 + 1, f.sample_rate, f.n_mels, f.f_min, f.f_max,
                        f.mel_scale, f.mel_norm);
}

}  // namespace

Tensor audio_features(const AudioFrontend& f, const std::vector<float>& clip) {
  if (f.feature == "log-frequency-dft") {
    const std::vector<float> d =
        log_frequency_dft(clip, f.sample_rate, f.bins, std::max(f.f_min, 1.0), f.f_max);
    Tensor t({1, 2, f.bins});
    std::copy(d.begin(), d.end(), t.f32());
    return t;
  }
  const Spectrum s = stft(clip, f.stft);
  const bool mel = f.feature == "log-mel";
  const int64_t rows = mel ? f.n_mels : s.bins;
  const std::vector<float> v =
      mel ? log_mel(s, filterbank(f), f.n_mels, f.eps) : log_magnitude(s, f.eps);
  // frames × rows → [1, 1, rows, frames]: frequency up the image, time along it.
  Tensor t({1, 1, rows, s.frames});
  for (int64_t fr = 0; fr < s.frames; ++fr)
    for (int64_t r = 0; r < rows; ++r) t.f32()[r * s.frames + fr] = v[fr * rows + r];
  return t;
}

Listenable listenable_explanation(const AudioFrontend& f, const std::vector<float>& clip,
                                  const Tensor& relevance, double threshold) {
  HEATLENS_CHECK(
      f.feature != "log-frequency-dft",
      "listenable explanations need a spectrogram feature; the log-frequency DFT of a whole "
      "note cannot be inverted");
  Spectrum s = stft(clip, f.stft);
  const bool mel = f.feature == "log-mel";
  const int64_t rows = mel ? f.n_mels : s.bins;
  HEATLENS_CHECK(relevance.numel() == rows * s.frames,
                 "the relevance has " << relevance.numel() << " values; the spectrogram has "
                                      << rows << "×" << s.frames);
  // Soft mask: positive relevance over its maximum, zero below the threshold.
  double top = 0;
  for (int64_t i = 0; i < relevance.numel(); ++i)
    top = std::max(top, static_cast<double>(relevance.f32()[i]));
  std::vector<double> mask(rows * s.frames, 0.0);  // rows × frames
  for (int64_t i = 0; i < relevance.numel() && top > 0; ++i) {
    const double m = std::max(0.0, static_cast<double>(relevance.f32()[i])) / top;
    mask[i] = m >= threshold ? m : 0.0;
  }
  std::vector<float> fb;
  if (mel) fb = filterbank(f);
  for (int64_t fr = 0; fr < s.frames; ++fr) {
    for (int64_t b = 0; b < s.bins; ++b) {
      double m = 0;
      if (!mel) {
        m = mask[b * s.frames + fr];
      } else {
        // A linear bin takes the mask of the mel bands it belongs to, weighted by the filters.
        double weight = 0;
        for (int64_t k = 0; k < f.n_mels; ++k) {
          m += fb[b * f.n_mels + k] * mask[k * s.frames + fr];
          weight += fb[b * f.n_mels + k];
        }
        m = weight > 0 ? m / weight : 0.0;
      }
      s.at(fr, b) *= static_cast<float>(m);
    }
  }
  Listenable out;
  out.explanation = istft(s, f.stft, static_cast<int64_t>(clip.size()));
  out.residual.resize(clip.size());
  for (size_t i = 0; i < clip.size(); ++i) out.residual[i] = clip[i] - out.explanation[i];
  return out;
}

}  // namespace heatlens
