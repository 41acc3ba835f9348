// Depthwise convolution (one input channel per group) and its adjoint (declared in
// kernels/conv_gemm.h).
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv_gemm.h"
#include "kernels/cpu_clones.h"
#include "kernels/phase_layout.h"

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

// Eight floats (GCC's vector extension): one AVX register, two SSE or wasm SIMD128 ones.
// Always inlined, so no function takes or returns one by value: GCC's note that such an ABI
// would differ with and without AVX does not apply.
typedef float Floats8 __attribute__((vector_size(32)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

inline __attribute__((always_inline)) Floats8 load8(const float* p) {
  Floats8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline __attribute__((always_inline)) void store8(float* p, Floats8 v) {
  std::memcpy(p, &v, sizeof v);
}

// The row-wise depthwise kernel reads one channel from a copy of its input rows, each padded
// left and right with zeros and split into its `stride` column phases: padded column j of input
// row iy is at rows[(iy·stride + j mod stride)·width + j / stride]. Output column x's tap kj then
// reads phase kj mod stride at x + kj / stride, so each tap of a row is one contiguous load per 8
// outputs. Rows above and below the image are skipped rather than stored, and each output row
// is written once, in place: on 7×7 and 14×14 maps the flat layout had spent most of its time
// on its k − 1 extra columns per row, the phase copy and the compaction.
struct RowGeometry {
  int64_t in_h, out_h, out_w, k, stride, pad_top, width;
};

// NV vectors of 8 outputs of one row from `taps_rows` kernel rows: `base` is the block's first
// output column in the copy of the first of those rows, `w` that kernel row's weights.
template <int NV, int K, int S>
inline __attribute__((always_inline)) void row_block(const float* base, const RowGeometry& g,
                                                     int64_t kernel_rows, const float* w,
                                                     float* out) {
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  Floats8 acc[NV] = {};
  for (int64_t r = 0; r < kernel_rows; ++r) {
    const float* row = base + r * s * g.width;
    const float* wr = w + r * k;
#pragma GCC unroll 5
    for (int64_t kj = 0; kj < k; ++kj) {
      const float* p = row + (kj % s) * g.width + kj / s;
      const Floats8 wv = Floats8{} + wr[kj];
      for (int v = 0; v < NV; ++v) acc[v] += wv * load8(p + 8 * v);
    }
  }
  for (int v = 0; v < NV; ++v) store8(out + 8 * v, acc[v]);
}

// One channel's output plane. A row's last vector may run past out_w into the next row, which
// is written after it; where it would run past the plane, the row goes through `spill`.
template <int K, int S>
inline __attribute__((always_inline)) void depthwise_rows(const float* rows, const RowGeometry& g,
                                                          const float* w, float* out,
                                                          float* spill) {
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  const int64_t vectors = (g.out_w + 7) / 8, plane = g.out_h * g.out_w;
  for (int64_t y = 0; y < g.out_h; ++y) {
    const int64_t top = y * s - g.pad_top;
    const int64_t ki0 = std::max<int64_t>(0, -top), ki1 = std::min<int64_t>(k, g.in_h - top);
    const bool direct = y * g.out_w + vectors * 8 <= plane;
    float* o = direct ? out + y * g.out_w : spill;
    const float* base = rows + (top + ki0) * s * g.width;
    const float* wr = w + ki0 * k;
    const int64_t n = std::max<int64_t>(0, ki1 - ki0);
    int64_t v = 0;
    for (; v + 4 <= vectors; v += 4) row_block<4, K, S>(base + 8 * v, g, n, wr, o + 8 * v);
    switch (vectors - v) {
      case 3:
        row_block<3, K, S>(base + 8 * v, g, n, wr, o + 8 * v);
        break;
      case 2:
        row_block<2, K, S>(base + 8 * v, g, n, wr, o + 8 * v);
        break;
      case 1:
        row_block<1, K, S>(base + 8 * v, g, n, wr, o + 8 * v);
        break;
      default:
        break;
    }
    if (!direct)
      std::memcpy(out + y * g.out_w, spill, static_cast<size_t>(g.out_w) * sizeof(float));
  }
}

// Compiled for the CPU's widest vectors (cpu_clones.h); 3×3 and 5×5 at strides 1 and 2 with
// their taps unrolled, any other size and stride with them counted at run time.
HEATLENS_CPU_CLONES void depthwise_rows_3x3_s1(const float* rows, const RowGeometry& g,
                                               const float* w, float* out, float* spill) {
  depthwise_rows<3, 1>(rows, g, w, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_3x3_s2(const float* rows, const RowGeometry& g,
                                               const float* w, float* out, float* spill) {
  depthwise_rows<3, 2>(rows, g, w, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_5x5_s1(const float* rows, const RowGeometry& g,
                                               const float* w, float* out, float* spill) {
  depthwise_rows<5, 1>(rows, g, w, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_5x5_s2(const float* rows, const RowGeometry& g,
                                               const float* w, float* out, float* spill) {
  depthwise_rows<5, 2>(rows, g, w, out, spill);
}
HEATLENS_CPU_CLONES void depthwise_rows_any(const float* rows, const RowGeometry& g, const float* w,
                                            float* out, float* spill) {
  depthwise_rows<0, 0>(rows, g, w, out, spill);
}

// Square filters, equal strides and no dilation: what the row kernel handles.
bool uses_rows(const ConvGeometry& g) {
  return g.k_h == g.k_w && g.stride_h == g.stride_w && g.dilation_h == 1 && g.dilation_w == 1;
}

// The row kernel over every channel: each channel's rows copied into the padded, phase-split
// layout, then its plane computed and given its bias and activation.
template <class Finish, class OverChannels>
void depthwise_by_rows(const float* image, const float* weights, const ConvGeometry& g,
                       int64_t channels, float* out, const Finish& finish,
                       const OverChannels& over_channels) {
  const int64_t s = g.stride_h, k = g.k_h, vectors = (g.out_w + 7) / 8;
  // Wide enough for the last vector's furthest tap and for the image's last column.
  const int64_t width = std::max(vectors * 8 + (k - 1) / s, (g.pad_left + g.in_w - 1) / s + 1);
  const RowGeometry rg{g.in_h, g.out_h, g.out_w, k, s, g.pad_top, width};
  const auto kernel = k == 3 && s == 1   ? depthwise_rows_3x3_s1
                      : k == 3 && s == 2 ? depthwise_rows_3x3_s2
                      : k == 5 && s == 1 ? depthwise_rows_5x5_s1
                      : k == 5 && s == 2 ? depthwise_rows_5x5_s2
                                         : depthwise_rows_any;
  const int64_t taps = k * k, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const size_t copy_size = static_cast<size_t>(g.in_h * s * width);
  over_channels([&](int64_t c0, int64_t c1) {
    thread_local std::vector<float> copy, spill;
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (spill.size() < static_cast<size_t>(vectors * 8))
      spill.resize(static_cast<size_t>(vectors * 8));
    // Zeroed once: every channel writes the same positions, the padding stays zero.
    std::fill(copy.data(), copy.data() + copy_size, 0.0f);
    for (int64_t c = c0; c < c1; ++c) {
      const float* in = image + c * in_plane;
      for (int64_t iy = 0; iy < g.in_h; ++iy) {
        float* row = copy.data() + iy * s * width;
        const float* src = in + iy * g.in_w;
        if (s == 1) {
          std::memcpy(row + g.pad_left, src, static_cast<size_t>(g.in_w) * sizeof(float));
        } else if (s == 2) {
          // Even columns to phase pad_left mod 2, odd ones to the other (a loop the compiler
          // vectorises with shuffles).
          float* even = row + (g.pad_left % 2) * width + g.pad_left / 2;
          float* odd = row + ((g.pad_left + 1) % 2) * width + (g.pad_left + 1) / 2;
          const int64_t pairs = g.in_w / 2;
          for (int64_t i = 0; i < pairs; ++i) {
            even[i] = src[2 * i];
            odd[i] = src[2 * i + 1];
          }
          if (g.in_w % 2) even[pairs] = src[g.in_w - 1];
        } else {
          // Column x goes to phase (x + pad_left) mod s: walk each phase's columns.
          for (int64_t ph = 0; ph < s; ++ph) {
            const int64_t x0 = ((ph - g.pad_left) % s + s) % s;
            float* dst = row + ph * width + (x0 + g.pad_left) / s;
            for (int64_t x = x0, i = 0; x < g.in_w; x += s, ++i) dst[i] = src[x];
          }
        }
      }
      kernel(copy.data(), rg, weights + c * taps, out + c * out_plane, spill.data());
      finish(c);
    }
  });
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
  // 3×3 stride 2 with padding 1 keeps its split-row kernel (faster there on 112-wide maps);
  // other square, undilated filters take the row kernel.
  if (uses_rows(g) && !is_3x3_stride2_pad1(g)) {
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
// gradient is dropped).
void depthwise_conv_backward(const float* dy, const float* weights, const ConvGeometry& g,
                             int64_t channels, float* dx, const ExecContext* ctx) {
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
    }
  };
  if (ctx)
    ctx->parallel_for(channels, body, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)));
  else
    body(0, channels);
}

}  // namespace heatlens
