// Depthwise convolution (one input channel per group) and its adjoint (declared in
// kernels/conv_gemm.h).
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv_gemm.h"
#include "kernels/cpu_clones.h"
#include "kernels/depthwise_channels.h"
#include "kernels/phase_layout.h"
#include "kernels/row_sweep.h"

namespace heatlens {
namespace {

// One depthwise plane over its PhaseLayout copy: out[q] = Σ_t w[t]·src[q + off[t]] for the
// extended positions q of every output row (the copy holds the padding, so nothing is checked
// and the loop over q vectorises, however narrow the map). Taps is fixed for the common 3×3
// and 5×5 filters so the taps unroll.
template <int Taps>
inline __attribute__((always_inline)) void depthwise_flat(const float* __restrict src,
                                                          const int64_t* offsets,
                                                          const float* weights, int64_t n,
                                                          float* __restrict out) {
  int64_t off[Taps];
  float w[Taps];
  for (int t = 0; t < Taps; ++t) {
    off[t] = offsets[t];
    w[t] = weights[t];
  }
  for (int64_t q = 0; q < n; ++q) {
    float acc = 0.0f;
#pragma GCC unroll 25
    for (int t = 0; t < Taps; ++t) acc += w[t] * src[q + off[t]];
    out[q] = acc;
  }
}

// Compiled for the CPU's widest vectors (cpu_clones.h).
HEATLENS_CPU_CLONES void depthwise_flat_3x3(const float* src, const int64_t* off, const float* w,
                                            int64_t, int64_t n, float* out) {
  depthwise_flat<9>(src, off, w, n, out);
}
HEATLENS_CPU_CLONES void depthwise_flat_5x5(const float* src, const int64_t* off, const float* w,
                                            int64_t, int64_t n, float* out) {
  depthwise_flat<25>(src, off, w, n, out);
}
// Other filter sizes: tap by tap over the plane.
HEATLENS_CPU_CLONES void depthwise_flat_any(const float* __restrict src, const int64_t* off,
                                            const float* w, int64_t taps, int64_t n,
                                            float* __restrict out) {
  std::fill(out, out + n, 0.0f);
  for (int64_t t = 0; t < taps; ++t) {
    const float wt = w[t];
    const float* s = src + off[t];
    for (int64_t q = 0; q < n; ++q) out[q] += wt * s[q];
  }
}

// Splits an image row into odd columns (after a 0 for the left padding) and even ones, so that
// a stride-2 kernel row's taps 2x − 1, 2x, 2x + 1 are odd[x], even[x], odd[x + 1]. Columns past
// the right edge read padding.
inline void split_row(const float* p, int64_t iw, int64_t ow, float* __restrict odd,
                      float* __restrict even) {
  odd[0] = 0.0f;
  const int64_t pairs = std::min(ow, iw / 2);
  for (int64_t x = 0; x < pairs; ++x) {
    even[x] = p[2 * x];
    odd[x + 1] = p[2 * x + 1];
  }
  for (int64_t x = pairs; x < ow; ++x) {
    even[x] = 2 * x < iw ? p[2 * x] : 0.0f;
    odd[x + 1] = 2 * x + 1 < iw ? p[2 * x + 1] : 0.0f;
  }
}

// 3×3, stride 2, padding 1 at the top and left (any at the bottom and right), no dilation:
// the downsampling layers of MobileNetV2 and EfficientNet. Each input row is split once into
// its even and odd columns, so every tap is a contiguous load, and each output row is written
// once: no padded copy of the plane in stride phases and no compaction, which made these
// layers 2-3.5× slower than ONNX Runtime's. `scratch` holds 4·(2·ow + 1) floats.
HEATLENS_CPU_CLONES void depthwise_3x3_stride2(const float* in, int64_t ih, int64_t iw,
                                               const float* w, int64_t oh, int64_t ow,
                                               float* __restrict out, float* scratch) {
  const int64_t len = 2 * ow + 1;  // a split row: odd columns [0, ow], even ones after them
  float* zero = scratch;           // a row of padding
  std::fill(zero, zero + len, 0.0f);
  float* const buffers[3] = {scratch + len, scratch + 2 * len, scratch + 3 * len};
  const float* above = zero;  // input row 2y − 1, split when it was row 2(y − 1) + 1
  for (int64_t y = 0; y < oh; ++y) {
    float* free[2];
    int n = 0;
    for (float* buffer : buffers) {
      if (buffer != above && n < 2) free[n++] = buffer;
    }
    const float* rows[2] = {zero, zero};  // input rows 2y and 2y + 1
    for (int r = 0; r < 2; ++r) {
      const int64_t iy = 2 * y + r;
      if (iy >= ih) continue;
      split_row(in + iy * iw, iw, ow, free[r], free[r] + ow + 1);
      rows[r] = free[r];
    }
    const float *a = above, *b = rows[0], *c = rows[1];
    const float *ae = a + ow + 1, *be = b + ow + 1, *ce = c + ow + 1;
    float* o = out + y * ow;
    for (int64_t x = 0; x < ow; ++x) {
      o[x] = w[0] * a[x] + w[1] * ae[x] + w[2] * a[x + 1] + w[3] * b[x] + w[4] * be[x] +
             w[5] * b[x + 1] + w[6] * c[x] + w[7] * ce[x] + w[8] * c[x + 1];
    }
    above = c;
  }
}

// Compiled for the CPU's widest vectors (cpu_clones.h); 3×3 and 5×5 at strides 1 and 2 with
// their taps unrolled, any other size and stride with them counted at run time.
// Each copies one channel's rows into `rows`, then sweeps them (both in the CPU's widest vectors).
using RowKernel = void (*)(const float*, const row_sweep::RowGeometry&, const float*, float*,
                           float*, float*);
HEATLENS_CPU_CLONES void depthwise_rows_3x3_s1(const float* in, const row_sweep::RowGeometry& g,
                                               const float* w, float* rows, float* out,
                                               float* spill) {
  row_sweep::copy_rows(in, g, rows);
  row_sweep::sweep_rows<3, 1>(rows, g, row_sweep::DepthwiseTaps{w}, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_3x3_s2(const float* in, const row_sweep::RowGeometry& g,
                                               const float* w, float* rows, float* out,
                                               float* spill) {
  row_sweep::copy_rows(in, g, rows);
  row_sweep::sweep_rows<3, 2>(rows, g, row_sweep::DepthwiseTaps{w}, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_5x5_s1(const float* in, const row_sweep::RowGeometry& g,
                                               const float* w, float* rows, float* out,
                                               float* spill) {
  row_sweep::copy_rows(in, g, rows);
  row_sweep::sweep_rows<5, 1>(rows, g, row_sweep::DepthwiseTaps{w}, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_5x5_s2(const float* in, const row_sweep::RowGeometry& g,
                                               const float* w, float* rows, float* out,
                                               float* spill) {
  row_sweep::copy_rows(in, g, rows);
  row_sweep::sweep_rows<5, 2>(rows, g, row_sweep::DepthwiseTaps{w}, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_any(const float* in, const row_sweep::RowGeometry& g,
                                            const float* w, float* rows, float* out, float* spill) {
  row_sweep::copy_rows(in, g, rows);
  row_sweep::sweep_rows<0, 0>(rows, g, row_sweep::DepthwiseTaps{w}, out, spill);
}

// The row sweep over every channel: each channel's rows copied (kernels/row_sweep.h), then its
// plane computed and given its bias and activation.
template <class Finish, class OverChannels>
void depthwise_by_rows(const float* image, const float* weights, const ConvGeometry& g,
                       int64_t channels, float* out, const Finish& finish,
                       const OverChannels& over_channels) {
  const row_sweep::RowGeometry rg = row_sweep::row_geometry(g, row_sweep::DepthwiseTaps::lanes);
  const int64_t k = rg.k, s = rg.stride;
  const RowKernel kernel = k == 3 && s == 1   ? depthwise_rows_3x3_s1
                           : k == 3 && s == 2 ? depthwise_rows_3x3_s2
                           : k == 5 && s == 1 ? depthwise_rows_5x5_s1
                           : k == 5 && s == 2 ? depthwise_rows_5x5_s2
                                              : depthwise_rows_any;
  const int64_t taps = k * k, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const size_t copy_size = row_sweep::copy_size(rg), spill_size = static_cast<size_t>(rg.width);
  over_channels([&](int64_t c0, int64_t c1) {
    thread_local std::vector<float> copy, spill;
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (spill.size() < spill_size) spill.resize(spill_size);
    // Zeroed once: every channel writes the same positions, the padding stays zero.
    std::fill(copy.data(), copy.data() + copy_size, 0.0f);
    for (int64_t c = c0; c < c1; ++c) {
      kernel(image + c * in_plane, rg, weights + c * taps, copy.data(), out + c * out_plane,
             spill.data());
      finish(c);
    }
  });
}

// The input gradient of a stride-2 plane (no dilation), an input row at a time. With
// u = ix + pad_left, input column ix takes filter column kx from dy column (u − kx) / 2, so even
// u take the even taps and odd u the odd ones, each from dy columns j, j − 1, … with j = ⌊u/2⌋:
// one sweep over the dy rows of the input row's parity makes both halves, stored interleaved
// into `line` (u = 2j, 2j + 1). The phase layout's planes took every tap at every position, four
// times the work. `d[r]` points into a dy row with zeros before it and past out_w; `w[r]` is its
// filter row; n is a multiple of the vector width, so no sweep ends in scalar code.
template <int Kw, int Rows>
inline __attribute__((always_inline)) void stride2_backward_row(const float* const* d,
                                                                const float* const* w, int64_t kw,
                                                                int64_t rows, int64_t n,
                                                                float* __restrict line) {
  const int64_t k_w = Kw > 0 ? Kw : kw, count = Rows > 0 ? Rows : rows;
  for (int64_t j = 0; j < n; ++j) {
    float e = 0.0f, o = 0.0f;
#pragma GCC unroll 3
    for (int64_t r = 0; r < count; ++r) {
#pragma GCC unroll 5
      for (int64_t kx = 0; kx < k_w; kx += 2) e += w[r][kx] * d[r][j - kx / 2];
#pragma GCC unroll 5
      for (int64_t kx = 1; kx < k_w; kx += 2) o += w[r][kx] * d[r][j - kx / 2];
    }
    line[2 * j] = e;
    line[2 * j + 1] = o;
  }
}

using Stride2RowFn = void (*)(const float* const*, const float* const*, int64_t, int64_t, int64_t,
                              float*);
// Compiled for the CPU's widest vectors (cpu_clones.h): 3- and 5-wide filters over one to three
// dy rows unrolled, any other count at run time.
#define HEATLENS_STRIDE2_ROW(KW, ROWS)                                                             \
  HEATLENS_CPU_CLONES void stride2_row_##KW##_##ROWS(const float* const* d, const float* const* w, \
                                                     int64_t kw, int64_t rows, int64_t n,          \
                                                     float* line) {                                \
    stride2_backward_row<KW, ROWS>(d, w, kw, rows, n, line);                                       \
  }
HEATLENS_STRIDE2_ROW(3, 1)
HEATLENS_STRIDE2_ROW(3, 2)
HEATLENS_STRIDE2_ROW(3, 3)
HEATLENS_STRIDE2_ROW(5, 1)
HEATLENS_STRIDE2_ROW(5, 2)
HEATLENS_STRIDE2_ROW(5, 3)
HEATLENS_STRIDE2_ROW(0, 0)
#undef HEATLENS_STRIDE2_ROW

Stride2RowFn stride2_row_kernel(int64_t kw, int64_t rows) {
  static const Stride2RowFn by_width[2][3] = {{stride2_row_3_1, stride2_row_3_2, stride2_row_3_3},
                                              {stride2_row_5_1, stride2_row_5_2, stride2_row_5_3}};
  if ((kw == 3 || kw == 5) && rows >= 1 && rows <= 3) return by_width[kw == 5][rows - 1];
  return stride2_row_0_0;
}

bool is_stride2_undilated(const ConvGeometry& g) {
  return g.stride_h == 2 && g.stride_w == 2 && g.dilation_h == 1 && g.dilation_w == 1;
}

// depthwise_conv_backward for is_stride2_undilated, channels split over the threads.
void depthwise_backward_stride2(const float* dy, const float* weights, const ConvGeometry& g,
                                int64_t channels, float* dx, const ExecContext* ctx,
                                const Activation& act) {
  constexpr int64_t kVector = 16;
  // Half rows cover u = ix + pad_left for every input column (rounded up to whole vectors);
  // they read dy columns down to j − ⌊(k_w − 1)/2⌋ (the `lead` zeros) and up to the last j
  // (zeros past out_w).
  const int64_t halves = ((g.pad_left + g.in_w + 1) / 2 + kVector - 1) / kVector * kVector;
  const int64_t lead = (g.k_w - 1) / 2, row_len = lead + std::max(halves, g.out_w);
  const int64_t taps = g.k_h * g.k_w, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const int64_t most_rows = (g.k_h + 1) / 2;
  auto body = [&](int64_t c0, int64_t c1) {
    thread_local std::vector<float> rows, line;
    const size_t rows_size = static_cast<size_t>(g.out_h * row_len);
    if (rows.size() < rows_size) rows.resize(rows_size);
    if (line.size() < static_cast<size_t>(2 * halves)) line.resize(static_cast<size_t>(2 * halves));
    // Zeroed once: the leading zeros and the columns past out_w stay so.
    std::fill(rows.data(), rows.data() + rows_size, 0.0f);
    std::vector<const float*> d(static_cast<size_t>(most_rows)), w(d.size());
    for (int64_t c = c0; c < c1; ++c) {
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        std::memcpy(rows.data() + oy * row_len + lead, dy + c * out_plane + oy * g.out_w,
                    static_cast<size_t>(g.out_w) * sizeof(float));
      }
      float* dxc = dx + c * in_plane;
      for (int64_t iy = 0; iy < g.in_h; ++iy) {
        // The filter rows of this input row's parity whose dy row exists.
        int64_t count = 0;
        for (int64_t ky = (iy + g.pad_top) % 2; ky < g.k_h; ky += 2) {
          const int64_t oy = (iy + g.pad_top - ky) / 2;
          if (iy + g.pad_top < ky || oy >= g.out_h) continue;
          d[static_cast<size_t>(count)] = rows.data() + oy * row_len + lead;
          w[static_cast<size_t>(count++)] = weights + c * taps + ky * g.k_w;
        }
        float* out = dxc + iy * g.in_w;
        if (count == 0) {
          std::fill(out, out + g.in_w, 0.0f);
        } else {
          stride2_row_kernel(g.k_w, count)(d.data(), w.data(), g.k_w, count, halves, line.data());
          std::memcpy(out, line.data() + g.pad_left, static_cast<size_t>(g.in_w) * sizeof(float));
        }
        if (!act.none()) apply_bias_activation(out, g.in_w, 0.0f, act);
      }
    }
  };
  if (ctx)
    ctx->parallel_for(channels, body, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)));
  else
    body(0, channels);
}

bool is_3x3_stride2_pad1(const ConvGeometry& g) {
  return g.k_h == 3 && g.k_w == 3 && g.stride_h == 2 && g.stride_w == 2 && g.dilation_h == 1 &&
         g.dilation_w == 1 && g.pad_top == 1 && g.pad_left == 1;
}

}  // namespace

void depthwise_conv(const float* image, const float* weights, const float* bias,
                    const ConvGeometry& g, int64_t channels, const Activation& act, float* out,
                    const ExecContext* ctx) {
  const int64_t taps = g.k_h * g.k_w, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  // Both paths: channels split over the threads, and each finished plane given its bias and
  // activation.
  const auto over_channels = [&](const ThreadPool::RangeFn& body) {
    if (ctx)
      ctx->parallel_for(channels, body,
                        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_plane)));
    else
      body(0, channels);
  };
  const auto finish = [&](int64_t c) {
    const float b = bias ? bias[c] : 0.0f;
    if (b != 0.0f || !act.none()) apply_bias_activation(out + c * out_plane, out_plane, b, act);
  };
  // Maps of at most 16×16 outputs: sixteen channels interleaved per vector (on 7×7 maps 3×3 and
  // 5×5 filters took 0.75-0.85 of the row kernel's time; with vector transposes, on 14×14 maps
  // 3×3 layers 0.6 and 5×5 ones 0.7 of it, 28 → 14 at stride 2 about half; on 28×28 it is
  // slower).
  if (depthwise_channels_fits(g) && g.out_h <= 16 && g.out_w <= 16) {
    depthwise_channels(image, weights, bias, g, channels, act, out, ctx);
    return;
  }
  // 3×3 stride 2 with padding 1 keeps its split-row kernel (faster there on 112-wide maps);
  // other square, undilated filters take the row kernel.
  if (row_sweep::sweeps(g) && !is_3x3_stride2_pad1(g)) {
    depthwise_by_rows(image, weights, g, channels, out, finish, over_channels);
    return;
  }
  if (is_3x3_stride2_pad1(g)) {
    auto direct = [&](int64_t c0, int64_t c1) {
      thread_local std::vector<float> split;
      if (split.size() < static_cast<size_t>(4 * (2 * g.out_w + 1)))
        split.resize(static_cast<size_t>(4 * (2 * g.out_w + 1)));
      for (int64_t c = c0; c < c1; ++c) {
        depthwise_3x3_stride2(image + c * in_plane, g.in_h, g.in_w, weights + c * taps, g.out_h,
                              g.out_w, out + c * out_plane, split.data());
        finish(c);
      }
    };
    over_channels(direct);
    return;
  }
  ConvGeometry one = g;  // a channel at a time
  one.channels = 1;
  const PhaseLayout layout(one);
  std::vector<int64_t> offsets = layout.tap_offsets(one);
  const auto plane_kernel = taps == 9 && g.k_h == 3    ? depthwise_flat_3x3
                            : taps == 25 && g.k_h == 5 ? depthwise_flat_5x5
                                                       : depthwise_flat_any;
  const int64_t phases = layout.row_phases * layout.col_phases, wq = layout.wq;
  const int64_t extended = g.out_h * wq;
  auto body = [&](int64_t c0, int64_t c1) {
    // Per thread, reused: one channel's copy and extended output stay in L1/L2.
    thread_local std::vector<float> copy, wide;
    const size_t copy_size = static_cast<size_t>(layout.image_size + layout.tail);
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (wide.size() < static_cast<size_t>(extended)) wide.resize(static_cast<size_t>(extended));
    // Zeroed once: every channel writes the same positions, the padding stays zero.
    std::fill(copy.data(), copy.data() + copy_size, 0.0f);
    for (int64_t c = c0; c < c1; ++c) {
      for (int64_t ph = 0; ph < phases; ++ph)
        layout.copy_plane(image + c * in_plane, one, ph, copy.data() + ph * layout.plane);
      plane_kernel(copy.data(), offsets.data(), weights + c * taps, taps, extended, wide.data());
      compact_rows(wide.data(), g.out_h, wq, g.out_w, out + c * out_plane);
      finish(c);
    }
  };
  over_channels(body);
}

// The adjoint of depthwise_conv, one channel at a time in the same flat layout. The forward is
// out[q] = Σ_t w[t]·copy[q + off[t]] over the extended rows, so the copy's gradient is
// grad[p] = Σ_t w[t]·dy[p − off[t]]: the same flat loop over dy laid out on extended rows (zero
// in the dropped columns) behind max(off) zeros, at offsets max(off) − off[t]. The copy's
// gradient is then moved back to the input positions it was copied from (the padding's
// gradient is dropped). Stride 2 (the downsampling layers) takes half rows instead
// (depthwise_backward_stride2): 0.98 → 0.35 ms for 96 channels of 112 × 112 at one thread.
void depthwise_conv_backward(const float* dy, const float* weights, const ConvGeometry& g,
                             int64_t channels, float* dx, const ExecContext* ctx,
                             const Activation& act) {
  if (is_stride2_undilated(g)) {
    depthwise_backward_stride2(dy, weights, g, channels, dx, ctx, act);
    return;
  }
  ConvGeometry one = g;
  one.channels = 1;
  const PhaseLayout layout(one);
  const int64_t taps = g.k_h * g.k_w, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  std::vector<int64_t> offsets = layout.tap_offsets(one);
  const int64_t reach = *std::max_element(offsets.begin(), offsets.end());
  for (int64_t& o : offsets) o = reach - o;
  const auto plane_kernel = taps == 9 && g.k_h == 3    ? depthwise_flat_3x3
                            : taps == 25 && g.k_h == 5 ? depthwise_flat_5x5
                                                       : depthwise_flat_any;
  const int64_t phases = layout.row_phases * layout.col_phases, wq = layout.wq;
  auto body = [&](int64_t c0, int64_t c1) {
    thread_local std::vector<float> spread, grad;
    const size_t spread_size = static_cast<size_t>(reach + layout.image_size);
    if (spread.size() < spread_size) spread.resize(spread_size);
    if (grad.size() < static_cast<size_t>(layout.image_size))
      grad.resize(static_cast<size_t>(layout.image_size));
    // Zeroed once: the leading zeros, the dropped columns and the rows past the output stay so.
    std::fill(spread.data(), spread.data() + spread_size, 0.0f);
    float* rows = spread.data() + reach;
    for (int64_t c = c0; c < c1; ++c) {
      const float* d = dy + c * out_plane;
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        std::memcpy(rows + oy * wq, d + oy * g.out_w, static_cast<size_t>(g.out_w) * sizeof(float));
      }
      plane_kernel(spread.data(), offsets.data(), weights + c * taps, taps, layout.image_size,
                   grad.data());
      float* dxc = dx + c * in_plane;
      // Input positions no tap reads (past the last window, or between taps of a stride
      // beyond the filter's reach) are in no plane: their gradient is 0.
      std::fill(dxc, dxc + in_plane, 0.0f);
      for (int64_t ph = 0; ph < phases; ++ph)
        layout.return_plane(grad.data() + ph * layout.plane, one, ph, dxc);
      if (!act.none()) apply_bias_activation(dxc, in_plane, 0.0f, act);
    }
  };
  if (ctx)
    ctx->parallel_for(channels, body, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)));
  else
    body(0, channels);
}

}  // namespace heatlens
