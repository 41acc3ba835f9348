// ModelCard: models/<name>/card.json — what a model expects and what its outputs mean.
//
// The CLI reads the card next to a model (model.onnx → card.json in the same folder) to
// preprocess images and to name classes; the web page shows it. Missing optional fields get
// defaults; a malformed card is an Error naming the file and field.
//
//   ModelCard card = load_model_card_beside("models/mnist-cnn/model.onnx");  // has_card may be
//   false
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "media/audio_frontend.h"
#include "media/image.h"

namespace heatlens {

struct ModelCard {
  bool has_card = false;
  std::string path;
  std::string name;
  std::string kind = "image";  // image | audio | spectrum
  ImagePreprocessing image;    // for kind == image
  bool has_audio_frontend = false;
  AudioFrontend audio;  // for kind == audio or spectrum ("audio_frontend")
  std::vector<std::string> labels;
  std::string gradcam_layer;  // default layer for Grad-CAM, if the card names one
  std::optional<std::pair<float, float>> input_bounds;  // z^B bounds (after normalisation)
};

// Lowest and highest value of channel c after normalisation (from the card's range and
// mean/std), or the input's own minimum and maximum when there is no card.
std::pair<float, float> input_range(const ModelCard& card, const Tensor& x, int64_t channel);
// The same for every channel of x ([N, C, ...]) at once: one pass over x, not one per call.
std::vector<std::pair<float, float>> channel_ranges(const ModelCard& card, const Tensor& x);

ModelCard parse_model_card(const std::string& json_text, const std::string& path);
// Reads card.json beside the model file; returns a card with has_card = false if none exists.
ModelCard load_model_card_beside(const std::string& model_path);

}  // namespace heatlens
