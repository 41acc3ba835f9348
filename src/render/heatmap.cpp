#include "render/heatmap.h"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "media/npy.h"

namespace heatlens {

Tensor channel_sum(const Tensor& r) {
  HEATLENS_CHECK(
      r.rank() == 4 || r.rank() == 3,
      "a heatmap needs a [1, C, H, W] or [1, C, L] relevance, got " << shape_str(r.shape()));
  const int64_t c = r.dim(1), h = r.rank() == 4 ? r.dim(2) : 1, w = r.dim(-1);
  Tensor out({h, w});
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t i = 0; i < h * w; ++i) out.f32()[i] += r.f32()[k * h * w + i];
  }
  return out;
}

Image render_heatmap(const Tensor& relevance, bool signed_map, const Colormap& map,
                     bool alpha_by_magnitude) {
  Tensor m = channel_sum(relevance);
  const int64_t n = m.numel();
  double max_abs = 0, lo = m.f32()[0], hi = m.f32()[0];
  for (int64_t i = 0; i < n; ++i) {
    const double v = m.f32()[i];
    max_abs = std::max(max_abs, std::fabs(v));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  Image img;
  img.height = static_cast<int>(m.dim(0));
  img.width = static_cast<int>(m.dim(1));
  img.channels = 4;
  img.pixels.resize(static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const double v = m.f32()[i];
    double t;
    if (signed_map)
      t = max_abs > 0 ? 0.5 + 0.5 * v / max_abs : 0.5;
    else if (lo >= 0)
      t = hi > 0 ? v / hi : 0.0;
    else
      t = hi > lo ? (v - lo) / (hi - lo) : 0.0;
    colormap_lookup(map, t, &img.pixels[i * 4]);
    const double strength = signed_map ? std::fabs(t - 0.5) * 2.0 : t;
    img.pixels[i * 4 + 3] =
        alpha_by_magnitude ? static_cast<uint8_t>(std::lround(255.0 * std::sqrt(strength))) : 255;
  }
  return img;
}

Image overlay_heatmap(const Image& heat, const Tensor& input, const ModelCard& card, double alpha) {
  HEATLENS_CHECK(input.rank() == 4 && input.dim(2) == heat.height && input.dim(3) == heat.width,
                 "overlay needs an image input of the heatmap's size");
  const int64_t c = input.dim(1), hw = static_cast<int64_t>(heat.width) * heat.height;
  Image out = heat;
  const auto ranges = channel_ranges(card, input);
  for (int64_t i = 0; i < hw; ++i) {
    double grey = 0;
    for (int64_t k = 0; k < c; ++k) {
      const auto [lo, hi] = ranges[k];
      grey += hi > lo ? (input.f32()[k * hw + i] - lo) / (hi - lo) : 0.5;
    }
    grey = std::clamp(grey / c, 0.0, 1.0) * 255.0;
    for (int k = 0; k < 3; ++k) {
      out.pixels[i * 4 + k] =
          static_cast<uint8_t>(std::lround((1 - alpha) * grey + alpha * heat.pixels[i * 4 + k]));
    }
  }
  return out;
}

std::vector<uint8_t> encode_png(const Image& image) {
  std::vector<uint8_t> out;
  auto sink = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  const int ok = stbi_write_png_to_func(sink, &out, image.width, image.height, image.channels,
                                        image.pixels.data(), image.width * image.channels);
  HEATLENS_CHECK(ok, "PNG encoding failed");
  return out;
}

void write_png(const std::string& path, const Image& image) {
  write_file(path, encode_png(image));
}

}  // namespace heatlens
