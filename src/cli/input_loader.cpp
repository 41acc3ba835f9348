#include "cli/input_loader.h"

#include <cmath>

#include "core/error.h"
#include "media/image.h"
#include "media/npy.h"
#include "media/wav.h"

namespace heatlens::cli {

std::vector<FlagSpec> input_flags() {
  return {{"--input", true}, {"--size", true},  {"--mean", true},
          {"--std", true},   {"--range", true}, {"--window-hop", true}};
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (auto& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == suffix;
}

}  // namespace

Tensor load_input(const Args& args, const Graph& graph, const ModelCard& card) {
  if (!args.has("--input")) throw UsageError{"--input FILE is required"};
  return load_input_file(args.get("--input"), args, graph, card);
}

std::optional<AudioWindows> load_audio_windows(const Args& args, const ModelCard& card) {
  if (!args.has("--input") || !ends_with(args.get("--input"), ".wav") || !card.has_audio_frontend)
    return std::nullopt;
  double hop = 0;
  if (args.has("--window-hop")) {
    const std::vector<float> v = args.get_floats("--window-hop");
    if (v.size() != 1 || !(v[0] > 0))
      throw UsageError{"--window-hop takes one positive number of seconds"};
    hop = v[0];
  }
  return audio_windows(card.audio, read_wav(args.get("--input")), hop);
}

bool is_input_file(const std::string& path) {
  for (const char* ext : {".npy", ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".wav"})
    if (ends_with(path, ext)) return true;
  return false;
}

Tensor load_input_file(const std::string& path, const Args& args, const Graph& graph,
                       const ModelCard& card) {
  if (graph.inputs.size() != 1)
    throw UsageError{"the model takes " + std::to_string(graph.inputs.size()) +
                     " inputs; heatlens explains single-input models"};
  const Value& in = graph.values[graph.inputs[0]];
  Tensor x;
  if (ends_with(path, ".npy")) {
    x = read_npy(path);
    if (x.dtype() == DType::f32 && in.has_declared_shape &&
        x.rank() + 1 == static_cast<int>(in.declared_shape.size())) {
      Shape s = x.shape();
      s.insert(s.begin(), 1);  // a single example without its batch dimension
      x = x.reshaped(s);
    }
  } else if (ends_with(path, ".png") || ends_with(path, ".jpg") || ends_with(path, ".jpeg") ||
             ends_with(path, ".bmp") || ends_with(path, ".gif")) {
    ImagePreprocessing p = card.image;
    if (in.has_declared_shape && in.declared_shape.size() == 4) {
      if (in.declared_shape[1] > 0) p.channels = static_cast<int>(in.declared_shape[1]);
      if (!p.height && in.declared_shape[2] > 0) p.height = in.declared_shape[2];
      if (!p.width && in.declared_shape[3] > 0) p.width = in.declared_shape[3];
    }
    if (args.has("--size")) {
      std::vector<float> s = args.get_floats("--size");
      if (s.size() != 1 && s.size() != 2) throw UsageError{"--size is N or H,W"};
      p.height = static_cast<int64_t>(s[0]);
      p.width = static_cast<int64_t>(s.back());
    }
    if (args.has("--mean")) p.mean = args.get_floats("--mean");
    if (args.has("--std")) p.std = args.get_floats("--std");
    if (args.has("--range")) {
      std::vector<float> r = args.get_floats("--range");
      if (r.size() != 2) throw UsageError{"--range is LOW,HIGH"};
      p.range_low = r[0];
      p.range_high = r[1];
    }
    for (const auto* v : {&p.mean, &p.std}) {
      if (!v->empty() && v->size() != 1 && static_cast<int>(v->size()) != p.channels) {
        throw UsageError{"--mean/--std need 1 or " + std::to_string(p.channels) + " values"};
      }
    }
    x = preprocess_image(read_image(path), p);
  } else if (ends_with(path, ".wav")) {
    if (!card.has_audio_frontend)
      throw UsageError{"'" + path +
                       "' is audio, but the model's card has no audio_frontend saying how to "
                       "turn sound into its input"};
    x = audio_features(card.audio, audio_clip(card.audio, read_wav(path)));
  } else {
    throw UsageError{"cannot read '" + path + "': use .npy, .png, .jpg, .bmp, .gif or .wav"};
  }
  if (x.dtype() == DType::f32) {
    const float* v = x.f32();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (!std::isfinite(v[i]))
        throw UsageError{"'" + path + "' contains a non-finite value at index " +
                         std::to_string(i)};
    }
  }
  return x;
}

}  // namespace heatlens::cli
