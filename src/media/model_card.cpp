#include "media/model_card.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "engine/engine.h"

namespace heatlens {

ModelCard parse_model_card(const std::string& json_text, const std::string& path) {
  ModelCard card;
  card.path = path;
  card.has_card = true;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const std::exception& e) {
    fail("model card '" + path + "' is not valid JSON: " + e.what());
  }
  try {
    card.name = j.value("name", "");
    card.kind = j.value("kind", "image");
    if (j.contains("labels")) card.labels = j.at("labels").get<std::vector<std::string>>();
    card.gradcam_layer = j.value("gradcam_layer", "");
    if (j.contains("preprocessing")) {
      const auto& p = j.at("preprocessing");
      if (p.contains("resize")) {
        auto r = p.at("resize").get<std::vector<int64_t>>();
        HEATLENS_CHECK(r.size() == 2 && r[0] > 0 && r[1] > 0, "'resize' must be [height, width]");
        card.image.height = r[0];
        card.image.width = r[1];
      }
      card.image.channels = p.value("channels", 3);
      if (p.contains("range")) {
        auto r = p.at("range").get<std::vector<float>>();
        HEATLENS_CHECK(r.size() == 2, "'range' must be [low, high]");
        card.image.range_low = r[0];
        card.image.range_high = r[1];
      }
      if (p.contains("mean")) card.image.mean = p.at("mean").get<std::vector<float>>();
      if (p.contains("std")) card.image.std = p.at("std").get<std::vector<float>>();
    }
    if (j.contains("audio_frontend")) {
      card.audio = parse_audio_frontend(j.at("audio_frontend"));
      card.has_audio_frontend = true;
    }
    if (j.contains("input_bounds")) {
      auto b = j.at("input_bounds").get<std::vector<float>>();
      HEATLENS_CHECK(b.size() == 2, "'input_bounds' must be [low, high]");
      card.input_bounds = std::make_pair(b[0], b[1]);
    }
  } catch (const Error& e) {
    fail("model card '" + path + "': " + e.what());
  } catch (const std::exception& e) {
    fail("model card '" + path + "' has a field of the wrong type: " + e.what());
  }
  return card;
}

std::pair<float, float> input_range(const ModelCard& card, const Tensor& x, int64_t channel) {
  if (card.has_card && card.kind == "image") {
    const ImagePreprocessing& p = card.image;
    const float mean = p.mean.empty() ? 0.0f : p.mean[p.mean.size() == 1 ? 0 : channel];
    const float stdev = p.std.empty() ? 1.0f : p.std[p.std.size() == 1 ? 0 : channel];
    return {(p.range_low - mean) / stdev, (p.range_high - mean) / stdev};
  }
  const float* v = x.f32();
  const auto mm = std::minmax_element(v, v + x.numel());
  return {*mm.first, *mm.second};
}

std::vector<std::pair<float, float>> channel_ranges(const ModelCard& card, const Tensor& x) {
  const int64_t channels = x.rank() >= 2 ? x.dim(1) : 1;
  std::vector<std::pair<float, float>> out;
  if (card.has_card && card.kind == "image") {
    for (int64_t c = 0; c < channels; ++c) out.push_back(input_range(card, x, c));
  } else {
    out.assign(static_cast<size_t>(channels), input_range(card, x, 0));
  }
  return out;
}

ModelCard load_model_card_beside(const std::string& model_path) {
  size_t slash = model_path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : model_path.substr(0, slash);
  std::string path = dir + "/card.json";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return ModelCard{};
  std::fclose(f);
  std::vector<uint8_t> bytes = read_file(path, size_t{16} << 20);
  return parse_model_card(std::string(bytes.begin(), bytes.end()), path);
}

}  // namespace heatlens
