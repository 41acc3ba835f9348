// The Embind surface for audio models: a recording (PCM the page decoded with decodeAudioData
// or recorded from the microphone) becomes the model's windows, is explained window by window
// onto the recording's frames, and turns back into sound (listenable explanations).
//
//   const w = hl.prepareAudio(samples, 44100, 0);          // {data, shape, starts, spectrogram…}
//   const r = hl.explainAudio('lrp', '{}', -1, 'logit', cb);  // {relevance, shape, json}
//   const l = hl.listenAudio(r.relevance, r.shape, 0.1);   // {explanation, residual, sampleRate}
#include <algorithm>
#include <chrono>
#include <cmath>

#include "bindings/js_interop.h"
#include "engine/output_head.h"
#include "explain/method.h"
#include "explain/method_json.h"
#include "media/audio_frontend.h"

using emscripten::val;

namespace heatlens {
namespace {

using bindings::error_object;
using bindings::float_array;
using bindings::js_progress;
using bindings::loaded;
using bindings::params_of;
using bindings::Session;
using bindings::shape_array;

constexpr double kMaxSeconds = 120;  // longer recordings are cut, with a note

Session& audio_session() {
  Session& s = loaded();
  HEATLENS_CHECK(s.card.has_audio_frontend,
                 "this model's card has no audio_frontend: it does not take sound");
  return s;
}

// The model's windows over a recording (mono PCM at `rate`), kept for explainAudio and
// listenAudio; and the whole recording's spectrogram for display.
val prepare_audio(val samples_js, double rate, double hop) {
  try {
    Session& s = audio_session();
    Audio audio;
    audio.sample_rate = static_cast<int>(std::lround(rate));
    HEATLENS_CHECK(audio.sample_rate >= 1000 && audio.sample_rate <= 384000,
                   "a sample rate of " << rate << " Hz is not a recording's");
    const size_t n = samples_js["length"].as<size_t>();
    HEATLENS_CHECK(n > 0, "the recording has no samples");
    const size_t keep = std::min(n, static_cast<size_t>(kMaxSeconds * audio.sample_rate));
    audio.samples.resize(keep);
    val(emscripten::typed_memory_view(keep, audio.samples.data()))
        .call<void>("set", samples_js.call<val>("subarray", 0, keep));
    for (float& v : audio.samples)
      if (!std::isfinite(v)) v = 0.0f;
    s.audio = audio_windows(s.card.audio, audio, hop);
    const AudioWindows& w = *s.audio;
    val out = val::object();
    out.set("data", float_array(w.inputs.f32(), static_cast<size_t>(w.inputs.numel())));
    out.set("shape", shape_array(w.inputs.shape()));
    val starts = val::array();
    for (size_t k = 0; k < w.starts.size(); ++k) starts.call<void>("push", w.seconds(k));
    out.set("starts", starts);
    out.set("windowSeconds", s.card.audio.duration);
    out.set("seconds", static_cast<double>(w.recording.size()) / w.sample_rate);
    out.set("sampleRate", w.sample_rate);
    out.set("feature", s.card.audio.feature);
    out.set("maxHz", s.card.audio.feature == "log-frequency-dft" ? s.card.audio.f_max
                                                                 : s.card.audio.sample_rate / 2.0);
    out.set("minHz", s.card.audio.feature == "log-frequency-dft" ? s.card.audio.f_min : 0.0);
    if (keep < n)
      out.set("note", "cut to the first " + std::to_string(static_cast<int>(kMaxSeconds)) + " s");
    // What the page draws: the recording's spectrogram, or the first window's spectrum.
    const Tensor view = s.card.audio.feature == "log-frequency-dft"
                            ? batch_item(w.inputs, 0)
                            : audio_features(recording_frontend(s.card.audio, w), w.recording);
    out.set("spectrogram", bindings::tensor_object(view));
    return out;
  } catch (const std::exception& e) {
    bindings::session.audio.reset();
    return error_object(e.what());
  }
}

// Explains every window of the prepared recording (the class with the highest mean probability
// over the windows, or `target`) and places the relevance on the recording's frames.
val explain_audio(std::string method, std::string params_json, int target, std::string output,
                  val progress_js) {
  try {
    Session& s = audio_session();
    HEATLENS_CHECK(s.audio.has_value(), "no recording is prepared (prepareAudio first)");
    const AudioWindows& w = *s.audio;
    const auto start = std::chrono::steady_clock::now();
    const std::map<std::string, std::string> params = params_of(params_json);
    TargetSpec spec;
    spec.class_index = target;
    spec.space = parse_output_space(output);
    const int64_t count = static_cast<int64_t>(w.starts.size());
    if (spec.class_index < 0 && count > 1)
      spec.class_index = mean_probability_class(s.model->logits(w.inputs));
    // Progress over all windows: window k's share is 1000 steps.
    Progress outer = js_progress(progress_js);
    outer.set_total(count * 1000);
    std::vector<Tensor> parts;
    nlohmann::json meta, windows = nlohmann::json::array();
    int64_t passes = 0;
    for (int64_t k = 0; k < count; ++k) {
      Progress window_progress(
          [&outer, k](int64_t done, int64_t total) {
            const int64_t at = k * 1000 + (total > 0 ? done * 1000 / total : 0);
            if (at > outer.done()) outer.step(at - outer.done());
          },
          nullptr);
      const Attribution a =
          explain(*s.model, batch_item(w.inputs, k), method, spec, params, window_progress);
      parts.push_back(a.relevance);
      passes += a.passes;
      if (k == 0) meta = attribution_json(a, s.card);
      windows.push_back(
          {{"start", w.seconds(k)}, {"score", a.score}, {"relevance_sum", a.relevance_sum}});
    }
    const Tensor placed = place_relevance(s.card.audio, w, stack_batch(parts));
    double sum = 0;
    for (int64_t i = 0; i < placed.numel(); ++i) sum += placed.f32()[i];
    meta["relevance_sum"] = sum;
    meta["passes"] = passes;
    meta["wall_ms"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (count > 1) {
      meta["windows"] = windows;
      meta["notes"]["windows"] = std::to_string(count) + " windows of " +
                                 std::to_string(s.card.audio.duration).substr(0, 4) + " s";
    }
    val out = val::object();
    out.set("relevance", float_array(placed.f32(), static_cast<size_t>(placed.numel())));
    out.set("shape", shape_array(placed.shape()));
    out.set("json", meta.dump());
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// The listenable explanation of a relevance over the prepared recording: its STFT under the
// normalised positive relevance (below `threshold` × the maximum: dropped), with its phase.
val listen_audio(val relevance_js, val shape_js, double threshold) {
  try {
    Session& s = audio_session();
    HEATLENS_CHECK(s.audio.has_value(), "no recording is prepared (prepareAudio first)");
    const Listenable l =
        listenable_explanation(recording_frontend(s.card.audio, *s.audio), s.audio->recording,
                               bindings::tensor_of(relevance_js, shape_js), threshold);
    val out = val::object();
    out.set("original", float_array(s.audio->recording.data(), s.audio->recording.size()));
    out.set("explanation", float_array(l.explanation.data(), l.explanation.size()));
    out.set("residual", float_array(l.residual.data(), l.residual.size()));
    out.set("sampleRate", s.audio->sample_rate);
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

}  // namespace
}  // namespace heatlens

EMSCRIPTEN_BINDINGS(heatlens_audio) {
  using namespace heatlens;
  emscripten::function("prepareAudio", &prepare_audio);
  emscripten::function("explainAudio", &explain_audio);
  bindings::deferrable("explainAudio", &explain_audio);
  emscripten::function("listenAudio", &listen_audio);
}
