#include "explain/perturbation/slic.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace heatlens {

namespace {

double srgb_to_linear(double c) {
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double lab_f(double t) {
  return t > 216.0 / 24389.0 ? std::cbrt(t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

// Features per pixel: CIELAB (D65) for RGB, otherwise each channel × 100.
std::vector<double> pixel_features(const float* image, int64_t channels, int64_t n) {
  const int64_t f = channels == 3 ? 3 : channels;
  std::vector<double> out(n * f);
  for (int64_t i = 0; i < n; ++i) {
    if (channels == 3) {
      const double r = srgb_to_linear(std::clamp<double>(image[i], 0, 1));
      const double g = srgb_to_linear(std::clamp<double>(image[n + i], 0, 1));
      const double b = srgb_to_linear(std::clamp<double>(image[2 * n + i], 0, 1));
      const double x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
      const double y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const double z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
      const double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
      out[i * 3] = 116 * fy - 16;
      out[i * 3 + 1] = 500 * (fx - fy);
      out[i * 3 + 2] = 200 * (fy - fz);
    } else {
      for (int64_t c = 0; c < channels; ++c) out[i * f + c] = 100.0 * image[c * n + i];
    }
  }
  return out;
}

}  // namespace

std::vector<int32_t> slic_segments(const float* image, int64_t channels, int64_t height,
                                   int64_t width, int64_t segments, double compactness,
                                   int iterations) {
  HEATLENS_CHECK(height > 0 && width > 0 && channels > 0, "SLIC needs a non-empty image");
  HEATLENS_CHECK(segments >= 1, "SLIC needs at least one segment");
  const int64_t n = height * width, f = channels == 3 ? 3 : channels;
  const std::vector<double> feat = pixel_features(image, channels, n);
  const double step = std::max(1.0, std::sqrt(static_cast<double>(n) / segments));

  // Centres on a regular grid, moved to the lowest colour gradient of their 3×3 neighbourhood.
  struct Centre {
    std::vector<double> colour;
    double y, x;
  };
  std::vector<Centre> centres;
  auto gradient_at = [&](int64_t y, int64_t x) {
    if (y <= 0 || x <= 0 || y >= height - 1 || x >= width - 1)
      return std::numeric_limits<double>::max();
    double g = 0;
    for (int64_t c = 0; c < f; ++c) {
      const double dx = feat[(y * width + x + 1) * f + c] - feat[(y * width + x - 1) * f + c];
      const double dy = feat[((y + 1) * width + x) * f + c] - feat[((y - 1) * width + x) * f + c];
      g += dx * dx + dy * dy;
    }
    return g;
  };
  for (double cy = step / 2; cy < height; cy += step) {
    for (double cx = step / 2; cx < width; cx += step) {
      int64_t by = static_cast<int64_t>(cy), bx = static_cast<int64_t>(cx);
      double best = gradient_at(by, bx);
      for (int64_t dy = -1; dy <= 1; ++dy) {
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t y = static_cast<int64_t>(cy) + dy, x = static_cast<int64_t>(cx) + dx;
          if (y < 0 || x < 0 || y >= height || x >= width) continue;
          const double g = gradient_at(y, x);
          if (g < best) best = g, by = y, bx = x;
        }
      }
      Centre c;
      c.colour.assign(feat.begin() + (by * width + bx) * f,
                      feat.begin() + (by * width + bx + 1) * f);
      c.y = static_cast<double>(by);
      c.x = static_cast<double>(bx);
      centres.push_back(c);
    }
  }

  // k-means restricted to a 2S window around each centre.
  std::vector<int32_t> label(n, -1);
  std::vector<double> dist(n);
  const double spatial_weight = (compactness / step) * (compactness / step);
  for (int it = 0; it < iterations; ++it) {
    std::fill(dist.begin(), dist.end(), std::numeric_limits<double>::max());
    for (size_t k = 0; k < centres.size(); ++k) {
      const Centre& c = centres[k];
      const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(c.y - step));
      const int64_t y1 = std::min<int64_t>(height, static_cast<int64_t>(c.y + step) + 1);
      const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(c.x - step));
      const int64_t x1 = std::min<int64_t>(width, static_cast<int64_t>(c.x + step) + 1);
      for (int64_t y = y0; y < y1; ++y) {
        for (int64_t x = x0; x < x1; ++x) {
          const int64_t i = y * width + x;
          double dc = 0;
          for (int64_t ch = 0; ch < f; ++ch) {
            const double d = feat[i * f + ch] - c.colour[ch];
            dc += d * d;
          }
          const double ds = (y - c.y) * (y - c.y) + (x - c.x) * (x - c.x);
          const double d = dc + ds * spatial_weight;
          if (d < dist[i]) {
            dist[i] = d;
            label[i] = static_cast<int32_t>(k);
          }
        }
      }
    }
    std::vector<Centre> sum(centres.size(), Centre{std::vector<double>(f, 0.0), 0, 0});
    std::vector<int64_t> count(centres.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      if (label[i] < 0) continue;
      Centre& s = sum[label[i]];
      for (int64_t ch = 0; ch < f; ++ch) s.colour[ch] += feat[i * f + ch];
      s.y += static_cast<double>(i / width);
      s.x += static_cast<double>(i % width);
      ++count[label[i]];
    }
    for (size_t k = 0; k < centres.size(); ++k) {
      if (count[k] == 0) continue;
      for (int64_t ch = 0; ch < f; ++ch) centres[k].colour[ch] = sum[k].colour[ch] / count[k];
      centres[k].y = sum[k].y / count[k];
      centres[k].x = sum[k].x / count[k];
    }
  }

  // Connected components of equal labels; pieces smaller than a quarter of the expected
  // segment size join the neighbouring component met first.
  std::vector<int32_t> out(n, -1);
  const int64_t min_size = std::max<int64_t>(1, static_cast<int64_t>(step * step / 4));
  int32_t next = 0;
  std::vector<int64_t> stack, piece;
  const int64_t dy4[4] = {-1, 1, 0, 0}, dx4[4] = {0, 0, -1, 1};
  for (int64_t start = 0; start < n; ++start) {
    if (out[start] >= 0) continue;
    int32_t neighbour = -1;
    piece.clear();
    stack.assign(1, start);
    out[start] = next;
    while (!stack.empty()) {
      const int64_t i = stack.back();
      stack.pop_back();
      piece.push_back(i);
      const int64_t y = i / width, x = i % width;
      for (int d = 0; d < 4; ++d) {
        const int64_t ny = y + dy4[d], nx = x + dx4[d];
        if (ny < 0 || nx < 0 || ny >= height || nx >= width) continue;
        const int64_t j = ny * width + nx;
        if (out[j] >= 0 && out[j] != next && neighbour < 0) neighbour = out[j];
        if (out[j] < 0 && label[j] == label[i]) {
          out[j] = next;
          stack.push_back(j);
        }
      }
    }
    if (static_cast<int64_t>(piece.size()) < min_size && neighbour >= 0) {
      for (int64_t i : piece) out[i] = neighbour;
    } else {
      ++next;
    }
  }
  return out;
}

}  // namespace heatlens
