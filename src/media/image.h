// Image decoding (PNG, JPEG, BMP, GIF via stb_image) and the preprocessing a model card
// describes: resize, channel count, value range, mean/std normalisation, NCHW layout.
//
//   Image img = decode_image(bytes.data(), bytes.size());
//   Tensor x = preprocess_image(img, card_preprocessing);   // [1, C, H, W]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace heatlens {

struct Image {
  int width = 0, height = 0, channels = 0;  // channels: 1 (gray) or 3 (RGB)
  std::vector<uint8_t> pixels;              // row-major, interleaved
};

// Largest image decoded (pixels); larger files are refused with a message.
constexpr int64_t kMaxImagePixels = int64_t{64} << 20;

Image decode_image(const uint8_t* data, size_t size, const std::string& what = "image");
Image read_image(const std::string& path);

struct ImagePreprocessing {
  int64_t height = 0, width = 0;              // 0: keep the image's size
  int channels = 3;                           // 1: convert to gray (ITU-R BT.601 luma); 3: RGB
  float range_low = 0.0f, range_high = 1.0f;  // pixel 0 → low, 255 → high
  std::vector<float> mean, std;               // per channel (or one value for all); empty: none
};

// Bilinear resize (stb_image_resize), conversion and normalisation into a [1, C, H, W] tensor.
Tensor preprocess_image(const Image& image, const ImagePreprocessing& p);

}  // namespace heatlens
