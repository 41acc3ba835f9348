// Helpers shared by the kernel tests (kernels_test.cpp, conv_kernels_test.cpp): seeded random
// data, convolution geometries as plan_window makes them, and an element-wise comparison.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/im2col.h"

namespace heatlens::test {

inline std::vector<float> random_vector(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// Output size of a window sweep (no ceil mode), as plan_window computes it.
inline int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad_lo,
                        int64_t pad_hi) {
  return (in + pad_lo + pad_hi - d * (k - 1) - 1) / s + 1;
}

inline ConvGeometry geometry(int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t d,
                             int64_t pad) {
  ConvGeometry g;
  g.channels = c;
  g.in_h = h;
  g.in_w = w;
  g.k_h = g.k_w = k;
  g.stride_h = g.stride_w = s;
  g.dilation_h = g.dilation_w = d;
  g.pad_top = g.pad_left = pad;
  g.out_h = out_size(h, k, s, d, pad, pad);
  g.out_w = out_size(w, k, s, d, pad, pad);
  return g;
}

// Every parameter per axis; the pads after the image (bottom, right) set the output size.
inline ConvGeometry geometry(int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh,
                             int64_t sw, int64_t dh, int64_t dw, int64_t top, int64_t left,
                             int64_t bottom, int64_t right) {
  ConvGeometry g;
  g.channels = c;
  g.in_h = h;
  g.in_w = w;
  g.k_h = kh;
  g.k_w = kw;
  g.stride_h = sh;
  g.stride_w = sw;
  g.dilation_h = dh;
  g.dilation_w = dw;
  g.pad_top = top;
  g.pad_left = left;
  g.out_h = out_size(h, kh, sh, dh, top, bottom);
  g.out_w = out_size(w, kw, sw, dw, left, right);
  return g;
}

inline void require_close(const std::vector<float>& a, const std::vector<float>& b, float tol,
                          const std::string& what) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(what << " at " << i << ": " << a[i] << " vs " << b[i]);
    REQUIRE(std::fabs(a[i] - b[i]) <= tol * (1.0f + std::fabs(b[i])));
  }
}

}  // namespace heatlens::test
