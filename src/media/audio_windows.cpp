#include "media/audio_windows.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "media/resample.h"

namespace heatlens {

AudioWindows audio_windows(const AudioFrontend& f, const Audio& audio, double hop,
                           int64_t max_windows) {
  HEATLENS_CHECK(!audio.samples.empty(), "the recording has no samples");
  AudioWindows w;
  w.sample_rate = f.sample_rate;
  w.recording = resample(audio.samples, audio.sample_rate, f.sample_rate);
  const int64_t n = f.samples(), length = static_cast<int64_t>(w.recording.size());
  const bool spectrogram = f.feature != "log-frequency-dft";
  const int64_t unit = spectrogram ? f.stft.hop : 1;
  HEATLENS_CHECK(hop >= 0, "the window hop must be positive, not " << hop << " s");
  const double hop_samples = (hop > 0 ? hop : f.duration / 2) * f.sample_rate;
  const int64_t step =
      std::max<int64_t>(unit, static_cast<int64_t>(std::lround(hop_samples / unit)) * unit);
  const int64_t count = length <= n ? 1 : (length - n + step - 1) / step + 1;
  HEATLENS_CHECK(count <= max_windows,
                 "the recording is " << static_cast<double>(length) / f.sample_rate << " s long: "
                                     << count << " windows of " << f.duration << " s, more than "
                                     << max_windows << "; cut it or use a longer hop");
  for (int64_t k = 0; k < count; ++k) w.starts.push_back(k * step);
  w.recording.resize(w.starts.back() + n, 0.0f);
  AudioFrontend plain = f;
  plain.peak_normalise = false;
  std::vector<Tensor> inputs;
  for (int64_t start : w.starts) {
    std::vector<float> clip(w.recording.begin() + start, w.recording.begin() + start + n);
    // Each window is scaled as the model saw its training clips; a silent one stays silent.
    if (f.peak_normalise) normalise_peak(clip);
    inputs.push_back(audio_features(plain, clip));
  }
  Shape shape = inputs[0].shape();
  shape[0] = count;
  w.inputs = Tensor(shape);
  const int64_t per = inputs[0].numel();
  for (int64_t k = 0; k < count; ++k)
    std::copy(inputs[k].f32(), inputs[k].f32() + per, w.inputs.f32() + k * per);
  return w;
}

AudioFrontend recording_frontend(const AudioFrontend& f, const AudioWindows& w) {
  AudioFrontend r = f;
  r.duration = static_cast<double>(w.recording.size()) / f.sample_rate;
  r.peak_normalise = false;
  return r;
}

Tensor place_relevance(const AudioFrontend& f, const AudioWindows& w, const Tensor& relevance) {
  const int64_t count = static_cast<int64_t>(w.starts.size());
  HEATLENS_CHECK(
      relevance.rank() >= 2 && relevance.dim(0) == count && relevance.numel() == w.inputs.numel(),
      "relevance " << shape_str(relevance.shape()) << " does not match the " << count
                   << " windows' inputs " << shape_str(w.inputs.shape()));
  const int64_t per = relevance.numel() / count;
  if (f.feature == "log-frequency-dft") {
    Shape shape = relevance.shape();
    shape[0] = 1;
    Tensor out(shape);
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < per; ++i) out.f32()[i] += relevance.f32()[k * per + i] / count;
    return out;
  }
  HEATLENS_CHECK(relevance.rank() == 4, "a spectrogram relevance is [W, 1, F, T]");
  const int64_t rows = relevance.dim(2), frames = relevance.dim(3);
  const int64_t total = 1 + static_cast<int64_t>(w.recording.size()) / f.stft.hop;
  Tensor out({1, 1, rows, total});
  std::vector<int> covered(total, 0);
  for (int64_t k = 0; k < count; ++k) {
    const int64_t first = w.starts[k] / f.stft.hop;
    for (int64_t t = 0; t < frames && first + t < total; ++t) {
      ++covered[first + t];
      for (int64_t r = 0; r < rows; ++r)
        out.f32()[r * total + first + t] += relevance.f32()[k * per + r * frames + t];
    }
  }
  for (int64_t t = 0; t < total; ++t)
    for (int64_t r = 0; r < rows && covered[t] > 1; ++r) out.f32()[r * total + t] /= covered[t];
  return out;
}

}  // namespace heatlens
