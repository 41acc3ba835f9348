#include "media/filters.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace heatlens {

namespace {

int64_t reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

}  // namespace

Tensor gaussian_blur(const Tensor& x, double sigma) {
  HEATLENS_CHECK(x.rank() >= 2, "blur needs at least two dimensions");
  if (sigma <= 0) return x.clone();
  const int64_t h = x.dim(-2), w = x.dim(-1), planes = x.numel() / (h * w);
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int64_t i = -radius; i <= radius; ++i)
    sum += k[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (auto& v : k) v /= sum;
  Tensor tmp(x.shape()), out(x.shape());
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x.f32() + p * h * w;
    float* t = tmp.f32() + p * h * w;
    float* dst = out.f32() + p * h * w;
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t c = 0; c < w; ++c) {
        double acc = 0;
        for (int64_t i = -radius; i <= radius; ++i)
          acc += k[i + radius] * src[y * w + reflect(c + i, w)];
        t[y * w + c] = static_cast<float>(acc);
      }
    }
    for (int64_t y = 0; y < h; ++y) {
      for (int64_t c = 0; c < w; ++c) {
        double acc = 0;
        for (int64_t i = -radius; i <= radius; ++i)
          acc += k[i + radius] * t[reflect(y + i, h) * w + c];
        dst[y * w + c] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width) {
  HEATLENS_CHECK(x.rank() >= 2, "resize needs at least two dimensions");
  const int64_t h = x.dim(-2), w = x.dim(-1), planes = x.numel() / (h * w);
  Shape s = x.shape();
  s[s.size() - 2] = height;
  s[s.size() - 1] = width;
  Tensor out(s);
  auto coord = [](int64_t o, int64_t in, int64_t outn, int64_t& i0, int64_t& i1, float& f) {
    double v = (o + 0.5) * static_cast<double>(in) / outn - 0.5;
    v = std::max(0.0, std::min(v, static_cast<double>(in - 1)));
    i0 = static_cast<int64_t>(std::floor(v));
    i1 = std::min(i0 + 1, in - 1);
    f = static_cast<float>(v - i0);
  };
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x.f32() + p * h * w;
    float* dst = out.f32() + p * height * width;
    for (int64_t y = 0; y < height; ++y) {
      int64_t y0, y1;
      float fy;
      coord(y, h, height, y0, y1, fy);
      for (int64_t c = 0; c < width; ++c) {
        int64_t x0, x1;
        float fx;
        coord(c, w, width, x0, x1, fx);
        const float top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
        const float bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
        dst[y * width + c] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

}  // namespace heatlens
