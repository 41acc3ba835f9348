// Depthwise convolution sixteen channels at a time, interleaved: each pixel of a block of
// sixteen planes becomes one vector (the NCHWc layout of ONNX Runtime's MLAS, here only inside
// the kernel), so a filter tap is one vector FMA with the tap's sixteen weights, whatever the
// width of the map. On 7×7 and 14×14 maps a plane at a time spends more on row set-up and
// vector tails than on arithmetic; interleaving costs a transpose in and one out instead, 16 × 16
// at a time in vectors (on 28×28 maps that costs more than it saves: depthwise_conv's size rule).
#include "kernels/depthwise_channels.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "kernels/cpu_clones.h"
#include "kernels/row_sweep.h"

namespace heatlens {
namespace {

constexpr int kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
// Sixteen floats at any alignment (the buffers are plain floats).
inline __attribute__((always_inline)) Lanes load(const float* p) {
  return row_sweep::load_vector<Lanes>(p);
}
inline __attribute__((always_inline)) void store(float* p, Lanes v) {
  row_sweep::store_vector(p, v);
}

// Two-vector shuffles: GCC's builtin takes a vector of indices, Clang's (the wasm builds) the
// indices themselves.
#if defined(__clang__)
#define HEATLENS_SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int32_t LaneIndices __attribute__((vector_size(kLanes * sizeof(int32_t))));
#define HEATLENS_SHUFFLE(a, b, ...) __builtin_shuffle(a, b, LaneIndices{__VA_ARGS__})
#endif

// The off-diagonal h × h blocks of the 2h × 2h block of rows a and b swap: a keeps its even
// h-runs and takes b's, b the other way round (vpermt2ps with AVX-512).
template <int H>
inline __attribute__((always_inline)) void swap_blocks(Lanes& a, Lanes& b) {
  const Lanes x = a, y = b;
  if constexpr (H == 1) {
    a = HEATLENS_SHUFFLE(x, y, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    b = HEATLENS_SHUFFLE(x, y, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  } else if constexpr (H == 2) {
    a = HEATLENS_SHUFFLE(x, y, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    b = HEATLENS_SHUFFLE(x, y, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  } else if constexpr (H == 4) {
    a = HEATLENS_SHUFFLE(x, y, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    b = HEATLENS_SHUFFLE(x, y, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
  } else {
    a = HEATLENS_SHUFFLE(x, y, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    b = HEATLENS_SHUFFLE(x, y, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  }
}

template <int H>
inline __attribute__((always_inline)) void swap_all(Lanes* v) {
#pragma GCC unroll 16
  for (int i = 0; i < kLanes; ++i) {
    if (!(i & H)) swap_blocks<H>(v[i], v[i + H]);
  }
}

// Transposes the 16 × 16 matrix whose rows are v[0..15], in place: at each scale h = 1, 2, 4, 8
// the off-diagonal h × h blocks of every 2h × 2h block swap, where element-by-element copies had
// cost most of a 7 × 7 layer's time.
inline __attribute__((always_inline)) void transpose16(Lanes* v) {
  swap_all<1>(v);
  swap_all<2>(v);
  swap_all<4>(v);
  swap_all<8>(v);
}

// The interleaved copy's size: every row and column a window reads, padding included.
struct Block {
  int64_t rows, cols;
};

Block block_of(const ConvGeometry& g) {
  return {std::max(g.pad_top + g.in_h, (g.out_h - 1) * g.stride_h + g.k_h),
          std::max(g.pad_left + g.in_w, (g.out_w - 1) * g.stride_w + g.k_w)};
}

// One block of `count` ≤ 16 channels from `c0`: interleaved into `copy` (whose padding is
// zero), swept with the taps unrolled (K, S fixed), and written back plane by plane. Relu and
// Clip are applied in the vectors; other activations by the caller.
template <int K, int S>
inline __attribute__((always_inline)) void block_kernel(const float* image, const float* weights,
                                                        const float* bias, const ConvGeometry& g,
                                                        Block blk, int64_t c0, int64_t count,
                                                        float lo, float hi, float* copy,
                                                        float* result, float* out) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const auto at = [&](int64_t p) {  // input position p's vector in the padded copy
    return copy + ((p / g.in_w + g.pad_top) * blk.cols + p % g.in_w + g.pad_left) * kLanes;
  };
  // Sixteen positions at a time by a transpose (channels past `count` read as 0), the rest one
  // by one.
  Lanes v[kLanes];
  int64_t p0 = 0;
  for (; p0 + kLanes <= in_plane; p0 += kLanes) {
    for (int c = 0; c < kLanes; ++c)
      v[c] = c < count ? load(image + (c0 + c) * in_plane + p0) : Lanes{};
    transpose16(v);
    for (int j = 0; j < kLanes; ++j) store(at(p0 + j), v[j]);
  }
  for (int64_t p = p0; p < in_plane; ++p) {
    float* dst = at(p);
    for (int64_t c = 0; c < count; ++c) dst[c] = image[(c0 + c) * in_plane + p];
  }
  Lanes w[K * K], b = {};
  for (int t = 0; t < K * K; ++t) {
    for (int c = 0; c < kLanes; ++c) w[t][c] = c < count ? weights[(c0 + c) * K * K + t] : 0.0f;
  }
  for (int c = 0; c < count; ++c) b[c] = bias ? bias[c0 + c] : 0.0f;
  const Lanes vlo = Lanes{} + lo, vhi = Lanes{} + hi;
  for (int64_t oy = 0; oy < g.out_h; ++oy) {
    const float* top = copy + oy * S * blk.cols * kLanes;
    float* dst = result + oy * g.out_w * kLanes;
    for (int64_t ox = 0; ox < g.out_w; ++ox) {
      Lanes acc = b;
#pragma GCC unroll 5
      for (int i = 0; i < K; ++i) {
        const float* r = top + (i * blk.cols + ox * S) * kLanes;
#pragma GCC unroll 5
        for (int j = 0; j < K; ++j) acc += w[i * K + j] * load(r + j * kLanes);
      }
      acc = acc < vlo ? vlo : acc;
      acc = acc > vhi ? vhi : acc;
      store(dst + ox * kLanes, acc);
    }
  }
  int64_t q0 = 0;
  for (; q0 + kLanes <= out_plane; q0 += kLanes) {
    for (int j = 0; j < kLanes; ++j) v[j] = load(result + (q0 + j) * kLanes);
    transpose16(v);
    for (int64_t c = 0; c < count; ++c) store(out + (c0 + c) * out_plane + q0, v[c]);
  }
  for (int64_t c = 0; c < count; ++c) {
    float* dst = out + (c0 + c) * out_plane;
    for (int64_t q = q0; q < out_plane; ++q) dst[q] = result[q * kLanes + c];
  }
}

using BlockFn = void (*)(const float*, const float*, const float*, const ConvGeometry&, Block,
                         int64_t, int64_t, float, float, float*, float*, float*);

// Compiled for the CPU's widest vectors (cpu_clones.h): one zmm per pixel with AVX-512.
#define HEATLENS_DEPTHWISE_BLOCK(K, S)                                                      \
  HEATLENS_CPU_CLONES void block_##K##x##K##_s##S(                                          \
      const float* image, const float* weights, const float* bias, const ConvGeometry& g,   \
      Block blk, int64_t c0, int64_t count, float lo, float hi, float* copy, float* result, \
      float* out) {                                                                         \
    block_kernel<K, S>(image, weights, bias, g, blk, c0, count, lo, hi, copy, result, out); \
  }
HEATLENS_DEPTHWISE_BLOCK(3, 1)
HEATLENS_DEPTHWISE_BLOCK(3, 2)
HEATLENS_DEPTHWISE_BLOCK(5, 1)
HEATLENS_DEPTHWISE_BLOCK(5, 2)
#undef HEATLENS_DEPTHWISE_BLOCK

}  // namespace

bool depthwise_channels_fits(const ConvGeometry& g) {
  return g.k_h == g.k_w && (g.k_h == 3 || g.k_h == 5) && g.stride_h == g.stride_w &&
         (g.stride_h == 1 || g.stride_h == 2) && g.dilation_h == 1 && g.dilation_w == 1 &&
         g.out_h > 0 && g.out_w > 0;
}

void depthwise_channels(const float* image, const float* weights, const float* bias,
                        const ConvGeometry& g, int64_t channels, const Activation& act, float* out,
                        const ExecContext* ctx) {
  const int k = static_cast<int>(g.k_h), s = static_cast<int>(g.stride_h);
  const BlockFn kernel =
      k == 3 ? (s == 1 ? block_3x3_s1 : block_3x3_s2) : (s == 1 ? block_5x5_s1 : block_5x5_s2);
  const Block blk = block_of(g);
  // Relu and Clip in the vectors; any other activation afterwards, plane by plane.
  const float inf = std::numeric_limits<float>::infinity();
  // A residual addend is read at the output's positions, after the block is in place.
  const bool in_vectors =
      act.addend == nullptr &&
      (act.none() || act.kind == Activation::Kind::relu || act.kind == Activation::Kind::clip);
  float lo = -inf, hi = inf;
  if (in_vectors && act.kind == Activation::Kind::relu) lo = 0.0f;
  if (in_vectors && act.kind == Activation::Kind::clip) {
    lo = act.lo;
    hi = act.hi;
  }
  const int64_t blocks = (channels + kLanes - 1) / kLanes, out_plane = g.out_h * g.out_w;
  auto body = [&](int64_t b0, int64_t b1) {
    // Per thread, reused: the padding is zeroed once and no block writes it.
    thread_local std::vector<float> copy, result;
    const size_t copy_size = static_cast<size_t>(blk.rows * blk.cols * kLanes);
    if (copy.size() < copy_size) copy.resize(copy_size);
    if (result.size() < static_cast<size_t>(out_plane * kLanes))
      result.resize(static_cast<size_t>(out_plane * kLanes));
    std::fill(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(copy_size), 0.0f);
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t c0 = bi * kLanes, count = std::min<int64_t>(kLanes, channels - c0);
      kernel(image, weights, bias, g, blk, c0, count, lo, hi, copy.data(), result.data(), out);
      if (!in_vectors) {
        for (int64_t c = c0; c < c0 + count; ++c)
          apply_bias_activation(out + c * out_plane, out_plane, 0.0f, act);
      }
    }
  };
  if (ctx)
    ctx->parallel_for(blocks, body, 1);
  else
    body(0, blocks);
}

}  // namespace heatlens
