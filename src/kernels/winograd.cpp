#include "kernels/winograd.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu_clones.h"
#include "kernels/row_sweep.h"

namespace heatlens {

namespace {

using row_sweep::Floats8;
using row_sweep::load8;
using row_sweep::store8;

constexpr int kTiles = 8;            // tiles per vector
constexpr int64_t kBandTiles = 256;  // tiles per band (winograd_conv)
// Tiles per thread, at least, for shares of tile rows (winograd_conv): on 196 tiles (28 × 28)
// shares were slower, each thread's 98 tiles filling 4 strips of 32 where 196 fill 7.
constexpr int64_t kShareMinTiles = 256;

#if defined(__clang__)
#define HEATLENS_SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
typedef int Ints8 __attribute__((vector_size(32)));
#define HEATLENS_SHUFFLE(a, b, ...) __builtin_shuffle(a, b, Ints8{__VA_ARGS__})
#endif

struct Tiling {
  int64_t th, tw, tiles;  // tile rows, tile columns, all tiles (th·tw)
  int64_t width;          // floats of one column phase of a copied row
};

Tiling tiling(const ConvGeometry& g) {
  Tiling t;
  t.th = (g.out_h + 1) / 2;
  t.tw = (g.out_w + 1) / 2;
  t.tiles = t.th * t.tw;
  const int64_t vectors = (t.tw + kTiles - 1) / kTiles;
  // A vector of tiles reads phase positions up to tx + 1; the copy writes the image's columns.
  t.width = std::max(vectors * kTiles + 1, (g.pad_left + g.in_w - 1) / 2 + 1);
  return t;
}

// V = Bᵀ·d·B for every tile of one channel: v[ξ·stride + t] for ξ = 4i + j. `rows` is the
// channel's copy (row_sweep::copy_rows at stride 2), `zero` a row of zeros for the padding.
HEATLENS_CPU_CLONES void input_transform(const float* rows, const float* zero,
                                         const ConvGeometry& g, const Tiling& t, int64_t ty0,
                                         int64_t ty1, int64_t first, float* v, int64_t stride) {
  for (int64_t ty = ty0; ty < ty1; ++ty) {
    const float* r[4];
    for (int i = 0; i < 4; ++i) {
      const int64_t iy = 2 * ty - g.pad_top + i;
      r[i] = iy >= 0 && iy < g.in_h ? rows + (iy - first) * 2 * t.width : zero;
    }
    for (int64_t tx = 0; tx < t.tw; tx += kTiles) {
      // d[i][j] for 8 tiles: padded column 2·tile + j is phase j mod 2 at tile + j / 2.
      Floats8 d[4][4];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) d[i][j] = load8(r[i] + (j % 2) * t.width + tx + j / 2);
      Floats8 c[4][4];  // Bᵀ·d
      for (int j = 0; j < 4; ++j) {
        c[0][j] = d[0][j] - d[2][j];
        c[1][j] = d[1][j] + d[2][j];
        c[2][j] = d[2][j] - d[1][j];
        c[3][j] = d[1][j] - d[3][j];
      }
      Floats8 out[16];  // (Bᵀ·d)·B
      for (int i = 0; i < 4; ++i) {
        out[4 * i + 0] = c[i][0] - c[i][2];
        out[4 * i + 1] = c[i][1] + c[i][2];
        out[4 * i + 2] = c[i][2] - c[i][1];
        out[4 * i + 3] = c[i][1] - c[i][3];
      }
      const int64_t n = std::min<int64_t>(kTiles, t.tw - tx);
      float* dst = v + (ty - ty0) * t.tw + tx;
      for (int x = 0; x < 16; ++x) {
        if (n == kTiles)
          store8(dst + x * stride, out[x]);
        else
          std::memcpy(dst + x * stride, &out[x], static_cast<size_t>(n) * sizeof(float));
      }
    }
  }
}

// Y = Aᵀ·M·A for every tile of one output channel: m[ξ·stride + t] holds the channel's 16
// products (the buffer has a vector of slack after its end). Writes the channel's plane.
HEATLENS_CPU_CLONES void output_transform(const float* m, int64_t stride, const ConvGeometry& g,
                                          const Tiling& t, int64_t ty0, int64_t ty1, float* out) {
  for (int64_t ty = ty0; ty < ty1; ++ty) {
    for (int64_t tx = 0; tx < t.tw; tx += kTiles) {
      const float* src = m + (ty - ty0) * t.tw + tx;
      Floats8 p[16];
      for (int x = 0; x < 16; ++x) p[x] = load8(src + x * stride);
      Floats8 s[2][4];  // Aᵀ·M
      for (int j = 0; j < 4; ++j) {
        s[0][j] = p[j] + p[4 + j] + p[8 + j];
        s[1][j] = p[4 + j] - p[8 + j] - p[12 + j];
      }
      const int64_t cols = std::min<int64_t>(2 * kTiles, g.out_w - 2 * tx);
      for (int r = 0; r < 2; ++r) {
        const int64_t y = 2 * ty + r;
        if (y >= g.out_h) break;
        const Floats8 y0 = s[r][0] + s[r][1] + s[r][2];  // (Aᵀ·M)·A: even output columns
        const Floats8 y1 = s[r][1] - s[r][2] - s[r][3];  // odd ones
        Floats8 both[2];
        both[0] = HEATLENS_SHUFFLE(y0, y1, 0, 8, 1, 9, 2, 10, 3, 11);
        both[1] = HEATLENS_SHUFFLE(y0, y1, 4, 12, 5, 13, 6, 14, 7, 15);
        float* o = out + y * g.out_w + 2 * tx;
        if (cols == 2 * kTiles) {
          store8(o, both[0]);
          store8(o + 8, both[1]);
        } else {
          std::memcpy(o, both, static_cast<size_t>(cols) * sizeof(float));
        }
      }
    }
  }
}

}  // namespace

bool winograd_applies(const ConvGeometry& g, int64_t out_channels) {
  return g.k_h == 3 && g.k_w == 3 && g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 &&
         g.dilation_w == 1 && g.channels >= 32 && out_channels >= 32 && g.out_h >= 4 &&
         g.out_w >= 4;
}

PackedConvWeights winograd_weights(const float* weights, int64_t out_channels, int64_t channels,
                                   const ExecContext* ctx) {
  const int64_t mc = out_channels * channels;
  std::vector<float> u(static_cast<size_t>(16 * mc));
  for (int64_t q = 0; q < mc; ++q) {
    const float* f = weights + q * 9;
    float a[4][3];  // G·g
    for (int j = 0; j < 3; ++j) {
      a[0][j] = f[j];
      a[1][j] = 0.5f * (f[j] + f[3 + j] + f[6 + j]);
      a[2][j] = 0.5f * (f[j] - f[3 + j] + f[6 + j]);
      a[3][j] = f[6 + j];
    }
    for (int i = 0; i < 4; ++i) {  // (G·g)·Gᵀ
      const float b[4] = {a[i][0], 0.5f * (a[i][0] + a[i][1] + a[i][2]),
                          0.5f * (a[i][0] - a[i][1] + a[i][2]), a[i][2]};
      for (int j = 0; j < 4; ++j) u[static_cast<size_t>((4 * i + j) * mc + q)] = b[j];
    }
  }
  PackedConvWeights packed;
  for (int x = 0; x < 16; ++x) {
    packed.groups.push_back(pack_a(gemm_kernel(), false, out_channels, channels, 1.0f,
                                   u.data() + x * mc, channels, ctx));
  }
  return packed;
}

namespace {

// Output tile rows [ty_begin, ty_end) of winograd_conv, in bands: with `ctx`, each step of a
// band is shared among its threads (the input transform by channel, the 16 products by ξ, the
// output transform by output channel); without, one thread does all.
void winograd_rows(const PackedConvWeights& weights, const float* image, const ConvGeometry& g,
                   const Tiling& t, const float* bias, const Activation& act, float* out,
                   int64_t ty_begin, int64_t ty_end, const ExecContext* ctx) {
  const int64_t channels = g.channels, out_channels = weights.groups[0].m;
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  // Bands of tile rows, about kBandTiles tiles each: a band's transformed inputs and products
  // (16 × channels × its tiles floats each) stay near L2's size, and so does the memory they
  // hold between calls (reused, as a fresh buffer would be page-faulted in on every layer; the
  // products have a vector of slack, as the output transform reads whole vectors of tiles).
  // Per thread that runs shares (winograd_conv): 2 MB for ResNet's 64-channel 56 × 56 layers.
  const int64_t band_rows = std::max<int64_t>(1, kBandTiles / t.tw);
  const int64_t most = std::min(ty_end - ty_begin, band_rows) * t.tw;
  thread_local std::vector<float> v, m;
  const size_t v_size = static_cast<size_t>(16 * channels * most);
  const size_t m_size = static_cast<size_t>(16 * out_channels * most + kTiles);
  if (v.size() < v_size) v.resize(v_size);
  if (m.size() < m_size) m.resize(m_size);
  float* vd = v.data();
  float* md = m.data();
  const auto run = [ctx](int64_t n, int64_t chunk, const ThreadPool::RangeFn& body) {
    if (ctx)
      ctx->parallel_for(n, body, chunk);
    else
      body(0, n);
  };
  // Channels per chunk of the transforms: about 512 tiles (some 7 µs, at the 14 ns a channel's
  // tile that SqueezeNet's 13 × 13 layers took). With 4096, those maps' 49 tiles made 83 channels
  // a chunk, and the last four 3 × 3 layers transformed their 48 or 64 input channels on one
  // thread (32-45 µs each at 2 threads).
  const int64_t per_chunk = std::max<int64_t>(1, 512 / std::max<int64_t>(1, most));
  for (int64_t ty0 = ty_begin; ty0 < ty_end; ty0 += band_rows) {
    const int64_t ty1 = std::min(ty_end, ty0 + band_rows), n = (ty1 - ty0) * t.tw;
    // The input rows the band's tiles read, copied channel by channel (even/odd columns) and
    // transformed.
    const int64_t first = std::max<int64_t>(0, 2 * ty0 - g.pad_top);
    const int64_t last = std::min(g.in_h, 2 * ty1 - g.pad_top + 2);
    const row_sweep::RowGeometry rg{
        std::max<int64_t>(0, last - first), 0, 0, 3, 2, g.pad_top, g.pad_left, g.in_w, t.width};
    const size_t copy_size = row_sweep::copy_size(rg);
    run(channels, per_chunk, [&](int64_t c0, int64_t c1) {
      thread_local std::vector<float> copy, zero;
      if (copy.size() < copy_size) copy.resize(copy_size);
      if (zero.size() < static_cast<size_t>(2 * t.width))
        zero.resize(static_cast<size_t>(2 * t.width));
      std::fill(copy.data(), copy.data() + copy_size, 0.0f);
      std::fill(zero.begin(), zero.end(), 0.0f);
      for (int64_t c = c0; c < c1; ++c) {
        row_sweep::copy_rows(image + c * in_plane + first * g.in_w, rg, copy.data());
        input_transform(copy.data(), zero.data(), g, t, ty0, ty1, first, vd + c * n, channels * n);
      }
    });
    // The 16 products, one GEMM each, shared out whole among the threads.
    run(16, 1, [&](int64_t x0, int64_t x1) {
      for (int64_t x = x0; x < x1; ++x) {
        f32_gemm_packed(weights.groups[x], n, false, vd + x * channels * n, n, 0.0f,
                        md + x * out_channels * n, n, Epilogue{}, nullptr);
      }
    });
    // The output transform, then the bias and activation while the rows are in cache.
    const int64_t y0 = 2 * ty0, y1 = std::min(g.out_h, 2 * ty1);
    run(out_channels, per_chunk, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        output_transform(md + o * n, out_channels * n, g, t, ty0, ty1, out + o * out_plane);
        const float b = bias ? bias[o] : 0.0f;
        if (b != 0.0f || !act.none())
          apply_bias_activation(out + o * out_plane + y0 * g.out_w, (y1 - y0) * g.out_w, b, act);
      }
    });
  }
}

}  // namespace

void winograd_conv(const PackedConvWeights& weights, const float* image, const ConvGeometry& g,
                   const float* bias, const Activation& act, float* out, const ExecContext* ctx) {
  const Tiling t = tiling(g);
  // With threads and tiles enough, each thread takes a share of the tile rows and does all of
  // their work itself: its output rows, from its input rows. Shared step by step, each step's
  // split (input channels, ξ, output channels) had each thread read half of what the other
  // had just written, twice a band, and the next layer, split by pixels, half again.
  const int threads = ctx && ctx->pool ? ctx->pool->threads() : 1;
  if (threads > 1 && t.tiles >= kShareMinTiles * threads && t.th >= threads) {
    ctx->parallel_for(
        threads,
        [&](int64_t q0, int64_t q1) {
          for (int64_t q = q0; q < q1; ++q) {
            winograd_rows(weights, image, g, t, bias, act, out, q * t.th / threads,
                          (q + 1) * t.th / threads, nullptr);
          }
        },
        1);
    return;
  }
  winograd_rows(weights, image, g, t, bias, act, out, 0, t.th, ctx);
}

#undef HEATLENS_SHUFFLE

}  // namespace heatlens
