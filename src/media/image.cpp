#include "media/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>

#include <limits>

#include "core/error.h"
#include "engine/engine.h"

namespace heatlens {

Image decode_image(const uint8_t* data, size_t size, const std::string& what) {
  HEATLENS_CHECK(size > 0, what << " is empty");
  HEATLENS_CHECK(size < static_cast<size_t>(std::numeric_limits<int>::max()),
                 what << " is too large");
  int w = 0, h = 0, c = 0;
  const int len = static_cast<int>(size);
  HEATLENS_CHECK(stbi_info_from_memory(data, len, &w, &h, &c),
                 what << " is not an image heatlens can read (PNG, JPEG, BMP or GIF): "
                      << stbi_failure_reason());
  HEATLENS_CHECK(static_cast<int64_t>(w) * h <= kMaxImagePixels,
                 what << " is " << w << "×" << h << " pixels, more than the limit of "
                      << kMaxImagePixels << "; downscale it first");
  const int want = (c == 1 || c == 2) ? 1 : 3;
  uint8_t* pixels = stbi_load_from_memory(data, len, &w, &h, &c, want);
  HEATLENS_CHECK(pixels != nullptr, what << " could not be decoded: " << stbi_failure_reason());
  Image img;
  img.width = w;
  img.height = h;
  img.channels = want;
  img.pixels.assign(pixels, pixels + static_cast<size_t>(w) * h * want);
  stbi_image_free(pixels);
  return img;
}

Image read_image(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path, size_t{256} << 20);
  return decode_image(bytes.data(), bytes.size(), "'" + path + "'");
}

Tensor preprocess_image(const Image& image, const ImagePreprocessing& p) {
  HEATLENS_CHECK(p.channels == 1 || p.channels == 3,
                 "a model input must have 1 or 3 channels, not " << p.channels);
  // Channel conversion first (on 8-bit pixels), then resize.
  std::vector<uint8_t> px;
  const int64_t n = static_cast<int64_t>(image.width) * image.height;
  if (image.channels == p.channels) {
    px = image.pixels;
  } else if (p.channels == 1) {
    px.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* q = &image.pixels[i * 3];
      px[i] = static_cast<uint8_t>(0.299f * q[0] + 0.587f * q[1] + 0.114f * q[2] + 0.5f);
    }
  } else {
    px.resize(n * 3);
    for (int64_t i = 0; i < n; ++i) px[i * 3] = px[i * 3 + 1] = px[i * 3 + 2] = image.pixels[i];
  }
  int out_w = p.width ? static_cast<int>(p.width) : image.width;
  int out_h = p.height ? static_cast<int>(p.height) : image.height;
  std::vector<uint8_t> resized(static_cast<size_t>(out_w) * out_h * p.channels);
  if (out_w == image.width && out_h == image.height) {
    resized = px;
  } else {
    HEATLENS_CHECK(stbir_resize_uint8(px.data(), image.width, image.height, 0, resized.data(),
                                      out_w, out_h, 0, p.channels),
                   "image resize failed");
  }
  Tensor t({1, p.channels, out_h, out_w});
  float* dst = t.f32();
  const float scale = (p.range_high - p.range_low) / 255.0f;
  for (int c = 0; c < p.channels; ++c) {
    const float mean = p.mean.empty() ? 0.0f : p.mean[p.mean.size() == 1 ? 0 : c];
    const float stdev = p.std.empty() ? 1.0f : p.std[p.std.size() == 1 ? 0 : c];
    HEATLENS_CHECK(stdev != 0.0f, "std of 0 in the preprocessing");
    for (int64_t i = 0; i < static_cast<int64_t>(out_w) * out_h; ++i) {
      const float v = p.range_low + resized[i * p.channels + c] * scale;
      dst[c * out_w * out_h + i] = (v - mean) / stdev;
    }
  }
  return t;
}

}  // namespace heatlens
