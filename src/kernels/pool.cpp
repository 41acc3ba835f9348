#include "kernels/pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu_clones.h"
#include "kernels/phase_layout.h"
#include "kernels/row_sweep.h"

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

// The winning tap of each extended position under max_flat's rule (the first maximum; a later
// NaN wins), or −1 where no tap beats −∞.
template <int Taps>
inline __attribute__((always_inline)) void argmax_flat(const float* __restrict src,
                                                       const int64_t* offsets, int64_t n,
                                                       int32_t* __restrict arg) {
  int64_t off[Taps];
  for (int t = 0; t < Taps; ++t) off[t] = offsets[t];
  for (int64_t q = 0; q < n; ++q) {
    float best = -std::numeric_limits<float>::infinity();
    int32_t at = -1;
#pragma GCC unroll 9
    for (int t = 0; t < Taps; ++t) {
      const float v = src[q + off[t]];
      const bool take = v > best || v != v;
      best = take ? v : best;
      at = take ? t : at;
    }
    arg[q] = at;
  }
}

HEATLENS_CPU_CLONES void argmax_flat_3x3(const float* src, const int64_t* off, int64_t, int64_t n,
                                         float*, int32_t* arg) {
  argmax_flat<9>(src, off, n, arg);
}
HEATLENS_CPU_CLONES void argmax_flat_2x2(const float* src, const int64_t* off, int64_t, int64_t n,
                                         float*, int32_t* arg) {
  argmax_flat<4>(src, off, n, arg);
}
HEATLENS_CPU_CLONES void argmax_flat_any(const float* __restrict src, const int64_t* off,
                                         int64_t taps, int64_t n, float* __restrict best,
                                         int32_t* __restrict arg) {
  std::fill(best, best + n, -std::numeric_limits<float>::infinity());
  std::fill(arg, arg + n, -1);
  for (int64_t t = 0; t < taps; ++t) {
    const float* s = src + off[t];
    const int32_t tap = static_cast<int32_t>(t);
    for (int64_t q = 0; q < n; ++q) {
      const float v = s[q];
      const bool take = v > best[q] || v != v;
      best[q] = take ? v : best[q];
      arg[q] = take ? tap : arg[q];
    }
  }
}

// The input position (in its plane) that output (oy, ox) passes its gradient to, by a plain
// scan of its window, or −1 when no pixel of the window is inside the image.
int64_t window_argmax(const float* plane, const ConvGeometry& g, int64_t oy, int64_t ox) {
  int64_t best = -1;
  float best_v = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < g.k_h; ++i) {
    const int64_t y = oy * g.stride_h - g.pad_top + i * g.dilation_h;
    if (y < 0 || y >= g.in_h) continue;
    for (int64_t j = 0; j < g.k_w; ++j) {
      const int64_t x = ox * g.stride_w - g.pad_left + j * g.dilation_w;
      if (x < 0 || x >= g.in_w) continue;
      const float v = plane[y * g.in_w + x];
      if (best < 0 || v > best_v || v != v) {
        best = y * g.in_w + x;
        best_v = v;
      }
    }
  }
  return best;
}

// Planes per chunk of a pool's work: about 4K outputs (some 13 µs of a 3 × 3 max pool, at the
// 3.3 ns an output of SqueezeNet's last one). With 16K, that pool (256 planes of 13 × 13) had
// gone out in three chunks, two to one thread.
int64_t planes_per_chunk(int64_t out_plane) {
  return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, out_plane));
}

// A max pool's windows a plane at a time, over the plane's phase copy whose padding is −∞
// (the forward and the backward share it).
struct PlaneWindows {
  explicit PlaneWindows(const ConvGeometry& g)
      : one(single_plane(g)),
        layout(one),
        offsets(layout.tap_offsets(one)),
        taps(g.k_h * g.k_w),
        in_plane(g.in_h * g.in_w),
        out_plane(g.out_h * g.out_w),
        extended(g.out_h * layout.wq),
        copy_size(static_cast<size_t>(layout.image_size + layout.tail)) {}

  static ConvGeometry single_plane(ConvGeometry g) {
    g.channels = 1;
    return g;
  }
  // Every phase of one input plane into `copy` (its padding already −∞).
  void copy_phases(const float* plane, float* copy) const {
    for (int64_t ph = 0; ph < layout.row_phases * layout.col_phases; ++ph)
      layout.copy_plane(plane, one, ph, copy + ph * layout.plane);
  }
  int64_t min_chunk() const { return planes_per_chunk(out_plane); }

  ConvGeometry one;
  PhaseLayout layout;
  std::vector<int64_t> offsets;
  int64_t taps, in_plane, out_plane, extended;
  size_t copy_size;
};

// Max pooling by the row sweep (kernels/row_sweep.h), for square windows with equal strides
// and no dilation; 3×3 and 2×2 at stride 2 unrolled (ResNet's, SqueezeNet's and VGG's pools).
// Each copies one plane's rows into `rows`, then sweeps them (both in the CPU's widest vectors);
// a plane without NaN takes the plain max (SqueezeNet's pools 0.72 → 0.66 ms at 1 thread).
using RowKernel = void (*)(const float*, const row_sweep::RowGeometry&, float*, float*, float*);
// One plane: its rows copied, then swept with the NaN-wins max only where it holds a NaN.
template <int K, int S>
inline __attribute__((always_inline)) void max_rows(const float* in,
                                                    const row_sweep::RowGeometry& g, float* rows,
                                                    float* out, float* spill) {
  row_sweep::copy_rows(in, g, rows);
  if (row_sweep::any_nan(in, g.in_h * g.in_w))
    row_sweep::sweep_rows<K, S>(rows, g, row_sweep::MaxTaps{}, out, spill);
  else
    row_sweep::sweep_rows<K, S>(rows, g, row_sweep::MaxTapsNoNan{}, out, spill);
}
HEATLENS_CPU_CLONES void max_rows_3x3_s2(const float* in, const row_sweep::RowGeometry& g,
                                         float* rows, float* out, float* spill) {
  max_rows<3, 2>(in, g, rows, out, spill);
}
HEATLENS_CPU_CLONES void max_rows_2x2_s2(const float* in, const row_sweep::RowGeometry& g,
                                         float* rows, float* out, float* spill) {
  max_rows<2, 2>(in, g, rows, out, spill);
}
HEATLENS_CPU_CLONES void max_rows_any(const float* in, const row_sweep::RowGeometry& g, float* rows,
                                      float* out, float* spill) {
  max_rows<0, 0>(in, g, rows, out, spill);
}

// The row sweep's max with each output's winning tap beside it (the first maximum; a later NaN
// wins; −1 where nothing beats −∞) as its offset in the input plane from the window's corner,
// ki·in_w + kj, NV vectors of one output row: the max is max_rows' own (the same select), so y
// is written as the forward writes it.
typedef int32_t Ints8 __attribute__((vector_size(32)));
template <int NV, int K, int S, bool kNan>
inline __attribute__((always_inline)) void argmax_block(const float* base,
                                                        const row_sweep::RowGeometry& g,
                                                        int64_t first, int64_t kernel_rows,
                                                        float* out, int32_t* arg) {
  using row_sweep::Floats8;
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  Floats8 best[NV];
  Ints8 at[NV];
  for (int v = 0; v < NV; ++v) {
    best[v] = Floats8{} - __builtin_inff();
    at[v] = Ints8{} - 1;
  }
  for (int64_t r = 0; r < kernel_rows; ++r) {
    const float* row = base + r * s * g.width;
    const int64_t tap0 = (first + r) * g.in_w;
#pragma GCC unroll 5
    for (int64_t kj = 0; kj < k; ++kj) {
      const float* p = row + (kj % s) * g.width + kj / s;
      const Ints8 tap = Ints8{} + static_cast<int32_t>(tap0 + kj);
      for (int v = 0; v < NV; ++v) {
        const Floats8 x = row_sweep::load8(p + 8 * v);
        const Ints8 take = kNan ? ((x > best[v]) | (x != x)) : (x > best[v]);
        best[v] = take ? x : best[v];
        at[v] = take ? tap : at[v];
      }
    }
  }
  for (int v = 0; v < NV; ++v) {
    row_sweep::store8(out + 8 * v, best[v]);
    std::memcpy(arg + 8 * v, &at[v], sizeof at[v]);
  }
}

// One plane's outputs and winning taps a row at a time, as sweep_rows: a
// row whose last vector would run past the plane goes through the spills.
template <int K, int S, bool kNan>
inline __attribute__((always_inline)) void argmax_plane(const float* rows,
                                                        const row_sweep::RowGeometry& g, float* out,
                                                        int32_t* arg, float* spill,
                                                        int32_t* arg_spill) {
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  const int64_t vectors = (g.out_w + 7) / 8, plane = g.out_h * g.out_w;
  for (int64_t y = 0; y < g.out_h; ++y) {
    const int64_t top = y * s - g.pad_top;
    const int64_t ki0 = std::max<int64_t>(0, -top), ki1 = std::min<int64_t>(k, g.in_h - top);
    const bool direct = y * g.out_w + vectors * 8 <= plane;
    float* o = direct ? out + y * g.out_w : spill;
    int32_t* a = direct ? arg + y * g.out_w : arg_spill;
    const float* base = rows + (top + ki0) * s * g.width;
    const int64_t n = std::max<int64_t>(0, ki1 - ki0);
    int64_t v = 0;
    for (; v + 2 <= vectors; v += 2)
      argmax_block<2, K, S, kNan>(base + 8 * v, g, ki0, n, o + 8 * v, a + 8 * v);
    if (v < vectors) argmax_block<1, K, S, kNan>(base + 8 * v, g, ki0, n, o + 8 * v, a + 8 * v);
    if (!direct) {
      std::memcpy(out + y * g.out_w, spill, static_cast<size_t>(g.out_w) * sizeof(float));
      std::memcpy(arg + y * g.out_w, arg_spill, static_cast<size_t>(g.out_w) * sizeof(int32_t));
    }
  }
}

using ArgmaxKernel = void (*)(const float*, const row_sweep::RowGeometry&, float*, float*, int32_t*,
                              float*, int32_t*);
template <int K, int S>
inline __attribute__((always_inline)) void argmax_rows(const float* in,
                                                       const row_sweep::RowGeometry& g, float* rows,
                                                       float* out, int32_t* arg, float* spill,
                                                       int32_t* arg_spill) {
  row_sweep::copy_rows(in, g, rows);
  if (row_sweep::any_nan(in, g.in_h * g.in_w))
    argmax_plane<K, S, true>(rows, g, out, arg, spill, arg_spill);
  else
    argmax_plane<K, S, false>(rows, g, out, arg, spill, arg_spill);
}
HEATLENS_CPU_CLONES void argmax_rows_3x3_s2(const float* in, const row_sweep::RowGeometry& g,
                                            float* rows, float* out, int32_t* arg, float* spill,
                                            int32_t* arg_spill) {
  argmax_rows<3, 2>(in, g, rows, out, arg, spill, arg_spill);
}
HEATLENS_CPU_CLONES void argmax_rows_any(const float* in, const row_sweep::RowGeometry& g,
                                         float* rows, float* out, int32_t* arg, float* spill,
                                         int32_t* arg_spill) {
  argmax_rows<0, 0>(in, g, rows, out, arg, spill, arg_spill);
}

void max_pool_by_rows(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                      const ExecContext* ctx) {
  const row_sweep::RowGeometry rg = row_sweep::row_geometry(g, row_sweep::MaxTaps::lanes);
  const RowKernel kernel = rg.k == 3 && rg.stride == 2   ? max_rows_3x3_s2
                           : rg.k == 2 && rg.stride == 2 ? max_rows_2x2_s2
                                                         : max_rows_any;
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const size_t copy_size = row_sweep::copy_size(rg), spill_size = static_cast<size_t>(rg.width);
  auto body = [&](int64_t q0, int64_t q1) {
    thread_local std::vector<float> copy, spill;
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (spill.size() < spill_size) spill.resize(spill_size);
    // The padding (and columns past the input, ceil_mode) is −∞: it never wins. Filled once;
    // every plane writes the same positions.
    std::fill(copy.data(), copy.data() + copy_size, -std::numeric_limits<float>::infinity());
    for (int64_t q = q0; q < q1; ++q) {
      kernel(x + q * in_plane, rg, copy.data(), y + q * out_plane, spill.data());
    }
  };
  if (ctx)
    ctx->parallel_for(planes, body, planes_per_chunk(out_plane));
  else
    body(0, planes);
}

}  // namespace

void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx) {
  if (row_sweep::sweeps(g)) {
    max_pool_by_rows(x, planes, g, y, ctx);
    return;
  }
  const PlaneWindows w(g);
  const auto plane_max = w.taps == 9 && g.k_h == 3   ? max_flat_3x3
                         : w.taps == 4 && g.k_h == 2 ? max_flat_2x2
                                                     : max_flat_any;
  auto body = [&](int64_t q0, int64_t q1) {
    thread_local std::vector<float> copy, wide;
    if (copy.size() < w.copy_size) copy.resize(w.copy_size);
    if (wide.size() < static_cast<size_t>(w.extended)) wide.resize(static_cast<size_t>(w.extended));
    // The padding (and windows past the input, ceil_mode) is −∞: it never wins. Filled once;
    // every plane writes the same positions.
    std::fill(copy.data(), copy.data() + w.copy_size, -std::numeric_limits<float>::infinity());
    for (int64_t q = q0; q < q1; ++q) {
      w.copy_phases(x + q * w.in_plane, copy.data());
      plane_max(copy.data(), w.offsets.data(), w.taps, w.extended, wide.data());
      compact_rows(wide.data(), g.out_h, w.layout.wq, g.out_w, y + q * w.out_plane);
    }
  };
  if (ctx)
    ctx->parallel_for(planes, body, w.min_chunk());
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

void max_pool_backward_planes(const float* x, const float* dy, int64_t planes,
                              const ConvGeometry& g, float* dx, const ExecContext* ctx) {
  const PlaneWindows w(g);
  const auto plane_argmax = w.taps == 9 && g.k_h == 3   ? argmax_flat_3x3
                            : w.taps == 4 && g.k_h == 2 ? argmax_flat_2x2
                                                        : argmax_flat_any;
  const int64_t in_plane = w.in_plane, out_plane = w.out_plane;
  // Each tap's offset in the plane from its window's top-left corner (a division per output
  // had taken most of the scatter's time).
  std::vector<int64_t> tap_at(static_cast<size_t>(w.taps));
  for (int64_t t = 0; t < w.taps; ++t)
    tap_at[static_cast<size_t>(t)] = t / g.k_w * g.dilation_h * g.in_w + t % g.k_w * g.dilation_w;
  auto body = [&](int64_t q0, int64_t q1) {
    thread_local std::vector<float> copy, best;
    thread_local std::vector<int32_t> arg;
    if (copy.size() < w.copy_size) copy.resize(w.copy_size);
    if (arg.size() < static_cast<size_t>(w.extended)) {
      arg.resize(static_cast<size_t>(w.extended));
      best.resize(static_cast<size_t>(w.extended));
    }
    std::fill(copy.data(), copy.data() + w.copy_size, -std::numeric_limits<float>::infinity());
    for (int64_t q = q0; q < q1; ++q) {
      const float* plane = x + q * in_plane;
      w.copy_phases(plane, copy.data());
      plane_argmax(copy.data(), w.offsets.data(), w.taps, w.extended, best.data(), arg.data());
      float* d = dx + q * in_plane;
      const float* dyq = dy + q * out_plane;
      std::fill(d, d + in_plane, 0.0f);
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        const int32_t* row_arg = arg.data() + oy * w.layout.wq;
        const float* row_dy = dyq + oy * g.out_w;
        const int64_t corner = (oy * g.stride_h - g.pad_top) * g.in_w - g.pad_left;
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const int32_t t = row_arg[ox];
          // Nothing beat −∞: an input of −∞ still takes the gradient, as in the scan.
          const int64_t at = t >= 0 ? corner + ox * g.stride_w + tap_at[static_cast<size_t>(t)]
                                    : window_argmax(plane, g, oy, ox);
          if (at >= 0) d[at] += row_dy[ox];
        }
      }
    }
  };
  if (ctx)
    ctx->parallel_for(planes, body, w.min_chunk());
  else
    body(0, planes);
}

void max_pool_backward_planes_reference(const float* x, const float* dy, int64_t planes,
                                        const ConvGeometry& g, float* dx) {
  const int64_t in_plane = g.in_h * g.in_w;
  std::fill(dx, dx + planes * in_plane, 0.0f);
  for (int64_t q = 0; q < planes; ++q) {
    for (int64_t oy = 0; oy < g.out_h; ++oy) {
      for (int64_t ox = 0; ox < g.out_w; ++ox) {
        const int64_t at = window_argmax(x + q * in_plane, g, oy, ox);
        if (at >= 0) dx[q * in_plane + at] += dy[(q * g.out_h + oy) * g.out_w + ox];
      }
    }
  }
}

void max_pool_planes_with_winners(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                                  int64_t* winners, const ExecContext* ctx) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  if (row_sweep::sweeps(g)) {
    const row_sweep::RowGeometry rg = row_sweep::row_geometry(g, row_sweep::MaxTaps::lanes);
    const ArgmaxKernel kernel = rg.k == 3 && rg.stride == 2 ? argmax_rows_3x3_s2 : argmax_rows_any;
    const size_t copy_size = row_sweep::copy_size(rg), spill_size = static_cast<size_t>(rg.width);
    auto body = [&](int64_t q0, int64_t q1) {
      thread_local std::vector<float> copy, spill;
      thread_local std::vector<int32_t> arg, arg_spill;
      if (copy.size() < copy_size) copy.resize(copy_size);
      if (spill.size() < spill_size) spill.resize(spill_size);
      if (arg_spill.size() < spill_size) arg_spill.resize(spill_size);
      if (arg.size() < static_cast<size_t>(out_plane)) arg.resize(static_cast<size_t>(out_plane));
      // The padding is −∞, filled once, as max_pool_by_rows.
      std::fill(copy.data(), copy.data() + copy_size, -std::numeric_limits<float>::infinity());
      for (int64_t q = q0; q < q1; ++q) {
        const float* plane = x + q * in_plane;
        kernel(plane, rg, copy.data(), y + q * out_plane, arg.data(), spill.data(),
               arg_spill.data());
        // The window's corner plus the winning tap's offset from it; where nothing beat −∞,
        // the scan's first pixel.
        int64_t* w = winners + q * out_plane;
        for (int64_t oy = 0; oy < g.out_h; ++oy) {
          const int64_t row_corner = (oy * g.stride_h - g.pad_top) * g.in_w - g.pad_left;
          const int32_t* a = arg.data() + oy * g.out_w;
          for (int64_t ox = 0; ox < g.out_w; ++ox)
            w[oy * g.out_w + ox] =
                a[ox] >= 0 ? row_corner + ox * g.stride_w + a[ox] : window_argmax(plane, g, oy, ox);
        }
      }
    };
    if (ctx)
      ctx->parallel_for(planes, body, planes_per_chunk(out_plane));
    else
      body(0, planes);
    return;
  }
  // Other windows (dilated, unequal): the forward, then each window's scan.
  max_pool_planes(x, planes, g, y, ctx);
  auto scan = [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q)
      for (int64_t oy = 0; oy < g.out_h; ++oy)
        for (int64_t ox = 0; ox < g.out_w; ++ox)
          winners[q * out_plane + oy * g.out_w + ox] = window_argmax(x + q * in_plane, g, oy, ox);
  };
  if (ctx)
    ctx->parallel_for(planes, scan);
  else
    scan(0, planes);
}

void max_pool_backward_from_winners(const int64_t* winners, const float* dy, int64_t planes,
                                    const ConvGeometry& g, float* dx, const ExecContext* ctx) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  auto body = [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      float* d = dx + q * in_plane;
      const int64_t* w = winners + q * out_plane;
      const float* dyq = dy + q * out_plane;
      std::fill(d, d + in_plane, 0.0f);
      // In scan order, as the reference adds.
      for (int64_t o = 0; o < out_plane; ++o)
        if (w[o] >= 0) d[w[o]] += dyq[o];
    }
  };
  if (ctx)
    ctx->parallel_for(planes, body, planes_per_chunk(out_plane));
  else
    body(0, planes);
}

}  // namespace heatlens
