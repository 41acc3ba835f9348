// The row sweep shared by the depthwise convolution (kernels/depthwise.cpp) and max pooling
// (kernels/pool.cpp): a per-tap reduction over k × k windows computed an output row at a time.
//
// A channel's input rows are first copied padded left and right (zeros, or −∞ for pooling)
// and split into their `stride` column phases: padded column j of input row iy is at
// rows[(iy·stride + j mod stride)·width + j / stride]. Output column x's tap kj then reads phase
// kj mod stride at x + kj / stride, so every tap of a row is one contiguous load per vector of
// outputs. Kernel rows above and below the image are skipped rather than stored, and each output
// row is written once, in place. On 7×7 and 14×14 maps the flat phase layout
// (kernels/phase_layout.h) had spent most of its time on its k − 1 extra columns per row and on
// the compaction.
//
// Everything here is always inlined into the caller's per-ISA clones (cpu_clones.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/im2col.h"

namespace heatlens {
namespace row_sweep {

// The sweep's vectors (GCC's vector extension): Floats8, one AVX register or two SSE or SIMD128
// ones, for max pooling, whose rows of 55 and 56 outputs fill eights better; Floats, kLanes wide,
// for the depthwise filter's multiply-adds: natively sixteen, one AVX-512 register or two AVX
// ones (the CPU clones compile it for each; MobileNetV2's 3×3 layers 6-24% and EfficientNet's
// 5×5 ones 17-21% faster than by eights), eight in WebAssembly. No function takes or returns one by
// value except the always-inlined ones below, so GCC's note that such an ABI would differ with and
// without AVX does not apply. (GCC emits the note at the end of the file that includes this one, so
// it stays off there.)
#if defined(__EMSCRIPTEN__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 16;
#endif
typedef float Floats __attribute__((vector_size(kLanes * sizeof(float))));
typedef float Floats8 __attribute__((vector_size(32)));  // also winograd.cpp's
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

// A vector of floats loaded or stored by memcpy, at any alignment.
template <class V>
inline __attribute__((always_inline)) V load_vector(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class V>
inline __attribute__((always_inline)) void store_vector(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

inline __attribute__((always_inline)) Floats8 load8(const float* p) {
  return load_vector<Floats8>(p);
}

inline __attribute__((always_inline)) void store8(float* p, Floats8 v) {
  store_vector(p, v);
}

struct RowGeometry {
  int64_t in_h, out_h, out_w, k, stride, pad_top, pad_left, in_w, width;
};

// Square windows, equal strides and no dilation: what the sweep handles.
inline bool sweeps(const ConvGeometry& g) {
  return g.k_h == g.k_w && g.stride_h == g.stride_w && g.dilation_h == 1 && g.dilation_w == 1;
}

// `lanes`: the width of the sweep's vectors (its Op's).
inline RowGeometry row_geometry(const ConvGeometry& g, int lanes) {
  const int64_t s = g.stride_h, vectors = (g.out_w + lanes - 1) / lanes;
  // Wide enough for the last vector's furthest tap and for the image's last column.
  const int64_t width =
      std::max(vectors * lanes + (g.k_h - 1) / s, (g.pad_left + g.in_w - 1) / s + 1);
  return {g.in_h, g.out_h, g.out_w, g.k_h, s, g.pad_top, g.pad_left, g.in_w, width};
}

// Floats of one channel's copy (its padding is filled once by the caller).
inline size_t copy_size(const RowGeometry& g) {
  return static_cast<size_t>(g.in_h * g.stride * g.width);
}

// One channel's rows into the copy; the padding positions are not written.
inline void copy_rows(const float* in, const RowGeometry& g, float* rows) {
  const int64_t s = g.stride, width = g.width;
  for (int64_t iy = 0; iy < g.in_h; ++iy) {
    float* row = rows + iy * s * width;
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
      // Column x goes to phase (x + pad_left) mod s: each phase's columns in turn.
      for (int64_t ph = 0; ph < s; ++ph) {
        const int64_t x0 = ((ph - g.pad_left) % s + s) % s;
        float* dst = row + ph * width + (x0 + g.pad_left) / s;
        for (int64_t x = x0, i = 0; x < g.in_w; x += s, ++i) dst[i] = src[x];
      }
    }
  }
}

// NV vectors (Op::Vec) of outputs of one row from `kernel_rows` kernel rows starting at kernel row
// `first`: `base` is the block's first output column in the copy of that input row. Op gives
// the reduction: init() and step(acc, x, tap) with tap = ki·k + kj.
template <int NV, int K, int S, class Op>
inline __attribute__((always_inline)) void row_block(const float* base, const RowGeometry& g,
                                                     int64_t first, int64_t kernel_rows,
                                                     const Op& op, float* out) {
  using V = typename Op::Vec;
  constexpr int kL = Op::lanes;
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  V acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = op.init();
  for (int64_t r = 0; r < kernel_rows; ++r) {
    const float* row = base + r * s * g.width;
    const int64_t tap0 = (first + r) * k;
#pragma GCC unroll 5
    for (int64_t kj = 0; kj < k; ++kj) {
      const float* p = row + (kj % s) * g.width + kj / s;
      for (int v = 0; v < NV; ++v) acc[v] = op.step(acc[v], load_vector<V>(p + kL * v), tap0 + kj);
    }
  }
  for (int v = 0; v < NV; ++v) store_vector(out + kL * v, acc[v]);
}

// One channel's output plane from its copy, up to 4 vectors of a row at once. A
// row's last vector may run past out_w into the next row, which is written after it; where it
// would run past the plane, the row goes through `spill` (out_w rounded up to a vector).
template <int K, int S, class Op>
inline __attribute__((always_inline)) void sweep_rows(const float* rows, const RowGeometry& g,
                                                      const Op& op, float* out, float* spill) {
  constexpr int kL = Op::lanes;
  const int64_t k = K ? K : g.k, s = S ? S : g.stride;
  const int64_t vectors = (g.out_w + kL - 1) / kL, plane = g.out_h * g.out_w;
  for (int64_t y = 0; y < g.out_h; ++y) {
    const int64_t top = y * s - g.pad_top;
    const int64_t ki0 = std::max<int64_t>(0, -top), ki1 = std::min<int64_t>(k, g.in_h - top);
    const bool direct = y * g.out_w + vectors * kL <= plane;
    float* o = direct ? out + y * g.out_w : spill;
    const float* base = rows + (top + ki0) * s * g.width;
    const int64_t n = std::max<int64_t>(0, ki1 - ki0);
    int64_t v = 0;
    for (; v + 4 <= vectors; v += 4) row_block<4, K, S>(base + kL * v, g, ki0, n, op, o + kL * v);
    switch (vectors - v) {
      case 3:
        row_block<3, K, S>(base + kL * v, g, ki0, n, op, o + kL * v);
        break;
      case 2:
        row_block<2, K, S>(base + kL * v, g, ki0, n, op, o + kL * v);
        break;
      case 1:
        row_block<1, K, S>(base + kL * v, g, ki0, n, op, o + kL * v);
        break;
      default:
        break;
    }
    if (!direct)
      std::memcpy(out + y * g.out_w, spill, static_cast<size_t>(g.out_w) * sizeof(float));
  }
}

// The reductions: a depthwise filter's acc + w[tap]·x, and max pooling's max, where NaN wins (as
// in PyTorch; a select, so it vectorises).
struct DepthwiseTaps {
  using Vec = Floats;
  static constexpr int lanes = sizeof(Vec) / sizeof(float);
  const float* w;
  __attribute__((always_inline)) Floats init() const { return Floats{}; }
  __attribute__((always_inline)) Floats step(Floats acc, Floats x, int64_t tap) const {
    return acc + (Floats{} + w[tap]) * x;
  }
};

struct MaxTaps {
  using Vec = Floats8;
  static constexpr int lanes = sizeof(Vec) / sizeof(float);
  __attribute__((always_inline)) Floats8 init() const { return Floats8{} - __builtin_inff(); }
  __attribute__((always_inline)) Floats8 step(Floats8 acc, Floats8 x, int64_t) const {
    return ((x > acc) | (x != x)) ? x : acc;
  }
};

// The same for planes without NaN: one max instruction a tap (x > acc ? x : acc is exactly
// x86's maxps(x, acc)) where the NaN test made four.
struct MaxTapsNoNan {
  using Vec = Floats8;
  static constexpr int lanes = sizeof(Vec) / sizeof(float);
  __attribute__((always_inline)) Floats8 init() const { return Floats8{} - __builtin_inff(); }
  __attribute__((always_inline)) Floats8 step(Floats8 acc, Floats8 x, int64_t) const {
    return x > acc ? x : acc;
  }
};

// Whether x[0, n) holds a NaN (a counted reduction, which vectorises where an early exit does
// not).
inline __attribute__((always_inline)) bool any_nan(const float* x, int64_t n) {
  int32_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += x[i] != x[i] ? 1 : 0;
  return count > 0;
}

}  // namespace row_sweep
}  // namespace heatlens
