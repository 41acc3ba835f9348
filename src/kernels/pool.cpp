#include "kernels/pool.h"

#include <algorithm>
#include <limits>

namespace heatlens {

void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  auto body = [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* img = x + q * in_plane;
      float* out = y + q * out_plane;
      std::fill(out, out + out_plane, -std::numeric_limits<float>::infinity());
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        float* row = out + oy * g.out_w;
        for (int64_t ki = 0; ki < g.k_h; ++ki) {
          const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
          if (iy < 0 || iy >= g.in_h) continue;
          const float* src = img + iy * g.in_w;
          for (int64_t kj = 0; kj < g.k_w; ++kj) {
            const int64_t off = kj * g.dilation_w - g.pad_left;  // x = ox·stride + off
            const IndexRange in = inside_range(off, g.stride_w, g.in_w, g.out_w);
            const int64_t lo = in.lo, hi = in.hi;
            const int64_t sw = g.stride_w;
            for (int64_t ox = lo; ox < hi; ++ox) {
              const float v = src[ox * sw + off];
              row[ox] = (v > row[ox] || v != v) ? v : row[ox];
            }
          }
        }
      }
    }
  };
  if (ctx)
    ctx->parallel_for(planes, body, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_plane)));
  else
    body(0, planes);
}

void max_pool_planes_reference(const float* x, int64_t planes, const ConvGeometry& g, float* y) {
  for (int64_t q = 0; q < planes; ++q) {
    for (int64_t oy = 0; oy < g.out_h; ++oy) {
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t i = 0; i < g.k_h; ++i) {
          for (int64_t j = 0; j < g.k_w; ++j) {
            const int64_t iy = oy * g.stride_h - g.pad_top + i * g.dilation_h;
            const int64_t ix = ox * g.stride_w - g.pad_left + j * g.dilation_w;
            if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
            const float v = x[(q * g.in_h + iy) * g.in_w + ix];
            if (v > best || v != v) best = v;
          }
        }
        y[(q * g.out_h + oy) * g.out_w + ox] = best;
      }
    }
  }
}

}  // namespace heatlens
