#include "kernels/pool.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/cpu_clones.h"
#include "kernels/phase_layout.h"

namespace heatlens {

namespace {

// max over taps of src[q + off[t]] for the extended positions q; NaN wins (the test is a
// select, so the loop vectorises). Taps is fixed for the 3×3 and 2×2 windows networks use.
template <int Taps>
inline __attribute__((always_inline)) void max_flat(const float* __restrict src,
                                                    const int64_t* offsets, int64_t n,
                                                    float* __restrict out) {
  int64_t off[Taps];
  for (int t = 0; t < Taps; ++t) off[t] = offsets[t];
  for (int64_t q = 0; q < n; ++q) {
    float best = -std::numeric_limits<float>::infinity();
#pragma GCC unroll 9
    for (int t = 0; t < Taps; ++t) {
      const float v = src[q + off[t]];
      best = (v > best || v != v) ? v : best;
    }
    out[q] = best;
  }
}

HEATLENS_CPU_CLONES void max_flat_3x3(const float* src, const int64_t* off, int64_t, int64_t n,
                                      float* out) {
  max_flat<9>(src, off, n, out);
}
HEATLENS_CPU_CLONES void max_flat_2x2(const float* src, const int64_t* off, int64_t, int64_t n,
                                      float* out) {
  max_flat<4>(src, off, n, out);
}
HEATLENS_CPU_CLONES void max_flat_any(const float* __restrict src, const int64_t* off, int64_t taps,
                                      int64_t n, float* __restrict out) {
  std::fill(out, out + n, -std::numeric_limits<float>::infinity());
  for (int64_t t = 0; t < taps; ++t) {
    const float* s = src + off[t];
    for (int64_t q = 0; q < n; ++q) {
      const float v = s[q], best = out[q];
      out[q] = (v > best || v != v) ? v : best;
    }
  }
}

}  // namespace

void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx) {
  ConvGeometry one = g;  // a plane at a time
  one.channels = 1;
  const PhaseLayout layout(one);
  const std::vector<int64_t> offsets = layout.tap_offsets(one);
  const int64_t taps = g.k_h * g.k_w;
  const auto plane_max = taps == 9 && g.k_h == 3   ? max_flat_3x3
                         : taps == 4 && g.k_h == 2 ? max_flat_2x2
                                                   : max_flat_any;
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const int64_t phases = layout.row_phases * layout.col_phases, extended = g.out_h * layout.wq;
  auto body = [&](int64_t q0, int64_t q1) {
    thread_local std::vector<float> copy, wide;
    const size_t copy_size = static_cast<size_t>(layout.image_size + layout.tail);
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (wide.size() < static_cast<size_t>(extended)) wide.resize(static_cast<size_t>(extended));
    // The padding (and windows past the input, ceil_mode) is −∞: it never wins. Filled once;
    // every plane writes the same positions.
    std::fill(copy.data(), copy.data() + copy_size, -std::numeric_limits<float>::infinity());
    for (int64_t q = q0; q < q1; ++q) {
      for (int64_t ph = 0; ph < phases; ++ph)
        layout.copy_plane(x + q * in_plane, one, ph, copy.data() + ph * layout.plane);
      plane_max(copy.data(), offsets.data(), taps, extended, wide.data());
      compact_rows(wide.data(), g.out_h, layout.wq, g.out_w, y + q * out_plane);
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
