// An audio model's front end, as its card describes it ("audio_frontend"): sample rate and
// clip length, then one of the features of audio_features.h laid out as the model's input —
// log-magnitude or log-mel spectrogram [1, 1, F, T] (frequency rows, time columns), or the
// log-frequency DFT [1, 2, bins] (magnitude and phase channels). It also turns a relevance map
// on a spectrogram back into sound: the "explanation" (the input's STFT under the normalised
// positive relevance, with the input's phase) and the "residual" (input minus explanation).
//
//   AudioFrontend f = parse_audio_frontend(card_json.at("audio_frontend"));
//   Tensor x = audio_input(f, read_wav("note.wav"));
//   Listenable l = listenable_explanation(f, clip(f, audio), relevance, 0.1);
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/tensor.h"
#include "media/audio_features.h"
#include "media/wav.h"

namespace heatlens {

struct AudioFrontend {
  int sample_rate = 16000;
  double duration = 1.0;        // seconds: clips are cut or zero-padded to this length
  bool peak_normalise = false;  // scale each clip to a peak of 1 (level-independent input)
  std::string feature = "log-magnitude";  // log-magnitude | log-mel | log-frequency-dft
  StftConfig stft;
  int64_t n_mels = 64;
  double f_min = 0, f_max = 0;  // 0: the Nyquist frequency
  MelScale mel_scale = MelScale::slaney;
  bool mel_norm = true;  // Slaney area normalisation
  float eps = 1e-6f;
  int64_t bins = 256;  // log-frequency-dft
  int64_t samples() const { return static_cast<int64_t>(duration * sample_rate + 0.5); }
};

AudioFrontend parse_audio_frontend(const nlohmann::json& j);

// The recording resampled to the front end's rate, mono, cut or zero-padded to its duration
// (and scaled to a peak of 1 when the card asks for "normalise": "peak").
std::vector<float> audio_clip(const AudioFrontend& f, const Audio& audio);
// Scales a clip to a peak of 1 (a silent one stays silent); returns its peak before.
float normalise_peak(std::vector<float>& clip);
// The model's input for a clip (audio_clip's output).
Tensor audio_features(const AudioFrontend& f, const std::vector<float>& clip);

struct Listenable {
  std::vector<float> explanation, residual;
};
// relevance: the input's shape ([1, 1, F, T] for a spectrogram feature). Relevance below
// `threshold` × its maximum is dropped from the mask.
Listenable listenable_explanation(const AudioFrontend& f, const std::vector<float>& clip,
                                  const Tensor& relevance, double threshold);

}  // namespace heatlens
