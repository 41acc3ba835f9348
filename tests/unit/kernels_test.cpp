// The CPU fast paths against their plain references: convolution as an implicit-im2col
// packed GEMM and the depthwise kernel (against im2col + the reference GEMM), max pooling,
// broadcast elementwise loops, the vectorised exponential, and activation fusion in the
// engine (a fused forward equals the unfused one).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "kernels/conv_gemm.h"
#include "kernels/elementwise.h"
#include "kernels/im2col.h"
#include "kernels/pool.h"
#include "test_models.h"

using namespace heatlens;

namespace {

std::vector<float> random_vector(int64_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// Output size of a window sweep (no ceil mode), as plan_window computes it.
int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad_lo, int64_t pad_hi) {
  return (in + pad_lo + pad_hi - d * (k - 1) - 1) / s + 1;
}

ConvGeometry geometry(int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t d,
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

void require_close(const std::vector<float>& a, const std::vector<float>& b, float tol,
                   const std::string& what) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(what << " at " << i << ": " << a[i] << " vs " << b[i]);
    REQUIRE(std::fabs(a[i] - b[i]) <= tol * (1.0f + std::fabs(b[i])));
  }
}

}  // namespace

TEST_CASE("conv as a packed GEMM over the implicit im2col matches im2col + reference GEMM",
          "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  struct Case {
    int64_t c, h, w, k, s, d, pad, out_c;
  };
  // Strips of 16 (or 8) columns that straddle output rows, padding on every side, strides,
  // dilation, 1×1 (pointwise, read in place) and 1×1 with stride, channel counts around a
  // K block (256 = 64·2·2, 28·3·3 = 252 → 259 with 37·7).
  const Case cases[] = {{3, 7, 9, 3, 1, 1, 1, 5},    {1, 1, 1, 1, 1, 1, 0, 1},
                        {4, 17, 5, 3, 2, 1, 1, 7},   {2, 11, 13, 5, 1, 2, 3, 6},
                        {64, 5, 6, 2, 1, 1, 0, 13},  {37, 9, 9, 1, 1, 1, 0, 97},
                        {29, 9, 10, 3, 1, 1, 1, 8},  {8, 15, 15, 1, 2, 1, 0, 9},
                        {3, 23, 19, 7, 2, 1, 3, 16}, {16, 3, 3, 3, 1, 1, 2, 4}};
  for (const Case& t : cases) {
    const ConvGeometry g = geometry(t.c, t.h, t.w, t.k, t.s, t.d, t.pad);
    const int64_t kdim = t.c * t.k * t.k, cols = g.out_h * g.out_w;
    const std::vector<float> image = random_vector(t.c * t.h * t.w, 1);
    const std::vector<float> w = random_vector(t.out_c * kdim, 2);
    const std::vector<float> bias = random_vector(t.out_c, 3);
    for (const Activation act : {Activation{}, Activation::relu(), Activation::silu()}) {
      std::vector<float> ref(static_cast<size_t>(t.out_c * cols));
      conv_reference(w.data(), t.out_c, image.data(), g, bias.data(), act, ref.data());
      for (const MicroKernel* kernel : gemm_kernels()) {
        const PackedA packed = pack_a(*kernel, false, t.out_c, kdim, 1.0f, w.data(), kdim);
        for (const ConvPath path : {ConvPath::automatic, ConvPath::phases, ConvPath::runs}) {
          std::vector<float> fast(ref.size(), std::numeric_limits<float>::quiet_NaN());
          conv_gemm(packed, image.data(), g, bias.data(), act, fast.data(), &ctx, path);
          require_close(fast, ref, 1e-4f,
                        std::string(kernel->name) + " conv k" + std::to_string(t.k) + " s" +
                            std::to_string(t.s) + " " + act.name() + " path " +
                            std::to_string(static_cast<int>(path)));
        }
      }
    }
  }
}

TEST_CASE("conv by stride phases and by runs: uneven pads, rectangular kernels, batches",
          "[kernels]") {
  // The phase copy's size comes from the output size, so pads that differ per side (ONNX
  // pads, auto_pad SAME_LOWER) must land right; 30·3·3 = 270 rows cross a K block; extended
  // rows of 1 + 2 = 3 columns cross strips and images; strides differ per axis.
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  struct Case {
    int64_t c, h, w, kh, kw, sh, sw, dh, dw, top, left, bottom, right, out_c, count;
  };
  const Case cases[] = {{3, 6, 5, 3, 5, 1, 1, 1, 2, 0, 2, 1, 3, 5, 1},
                        {2, 4, 3, 2, 4, 1, 1, 1, 1, 1, 0, 2, 1, 7, 3},
                        {30, 5, 4, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 13, 2},
                        {1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 37},
                        {64, 9, 9, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 9, 2},
                        {3, 11, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 6, 3},
                        {4, 13, 12, 7, 5, 2, 3, 1, 2, 3, 2, 2, 1, 5, 2},
                        {5, 9, 8, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 8, 4},
                        {2, 12, 12, 4, 4, 4, 4, 1, 1, 0, 0, 0, 0, 3, 2}};
  for (const Case& t : cases) {
    ConvGeometry g;
    g.channels = t.c;
    g.in_h = t.h;
    g.in_w = t.w;
    g.k_h = t.kh;
    g.k_w = t.kw;
    g.stride_h = t.sh;
    g.stride_w = t.sw;
    g.dilation_h = t.dh;
    g.dilation_w = t.dw;
    g.pad_top = t.top;
    g.pad_left = t.left;
    g.out_h = out_size(t.h, t.kh, t.sh, t.dh, t.top, t.bottom);
    g.out_w = out_size(t.w, t.kw, t.sw, t.dw, t.left, t.right);
    const int64_t kdim = t.c * t.kh * t.kw, cols = g.out_h * g.out_w, in_image = t.c * t.h * t.w;
    const std::vector<float> images = random_vector(t.count * in_image, 31);
    const std::vector<float> w = random_vector(t.out_c * kdim, 32);
    const std::vector<float> bias = random_vector(t.out_c, 33);
    std::vector<float> ref(static_cast<size_t>(t.count * t.out_c * cols));
    for (int64_t b = 0; b < t.count; ++b) {
      conv_reference(w.data(), t.out_c, images.data() + b * in_image, g, bias.data(),
                     Activation::relu(), ref.data() + b * t.out_c * cols);
    }
    for (const MicroKernel* kernel : gemm_kernels()) {
      const PackedA packed = pack_a(*kernel, false, t.out_c, kdim, 1.0f, w.data(), kdim);
      const std::string what = std::string(kernel->name) + " k" + std::to_string(t.kh) + "x" +
                               std::to_string(t.kw) + " c" + std::to_string(t.c);
      for (const ConvPath path : {ConvPath::automatic, ConvPath::phases, ConvPath::runs}) {
        const std::string way = what + " path " + std::to_string(static_cast<int>(path));
        std::vector<float> one(static_cast<size_t>(t.out_c * cols), std::nanf(""));
        conv_gemm(packed, images.data(), g, bias.data(), Activation::relu(), one.data(), &ctx,
                  path);
        require_close(one, std::vector<float>(ref.begin(), ref.begin() + t.out_c * cols), 1e-4f,
                      way);
        std::vector<float> batched(ref.size(), std::nanf(""));
        conv_gemm_batch(packed, images.data(), t.count, in_image, g, bias.data(),
                        Activation::relu(), batched.data(), t.out_c * cols, &ctx, path);
        require_close(batched, ref, 1e-4f, way + " batch");
      }
    }
  }
}

TEST_CASE("col2im's per-tap ranges add exactly what the bounds-tested loop adds", "[kernels]") {
  // Pads beyond the kernel's reach (taps with no row or column inside), strides 1-3 per axis,
  // dilation, rectangular kernels and a 1-wide image; the image is accumulated into, not set.
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  struct Case {
    int64_t c, h, w, kh, kw, sh, sw, dh, dw, top, left, bottom, right;
  };
  const Case cases[] = {
      {3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   {2, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
      {4, 6, 7, 2, 5, 1, 3, 2, 1, 0, 4, 3, 2},   {1, 5, 1, 3, 1, 1, 1, 1, 1, 4, 0, 4, 0},
      {5, 11, 10, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3}, {2, 4, 4, 3, 3, 1, 1, 3, 3, 5, 5, 5, 5},
      {3, 9, 12, 1, 1, 2, 3, 1, 1, 0, 0, 0, 0}};
  for (const Case& t : cases) {
    ConvGeometry g;
    g.channels = t.c;
    g.in_h = t.h;
    g.in_w = t.w;
    g.k_h = t.kh;
    g.k_w = t.kw;
    g.stride_h = t.sh;
    g.stride_w = t.sw;
    g.dilation_h = t.dh;
    g.dilation_w = t.dw;
    g.pad_top = t.top;
    g.pad_left = t.left;
    g.out_h = out_size(t.h, t.kh, t.sh, t.dh, t.top, t.bottom);
    g.out_w = out_size(t.w, t.kw, t.sw, t.dw, t.left, t.right);
    REQUIRE((g.out_h > 0 && g.out_w > 0));
    const std::vector<float> col = random_vector(t.c * t.kh * t.kw * g.out_h * g.out_w, 41);
    std::vector<float> expected = random_vector(t.c * t.h * t.w, 42), image = expected;
    col2im_reference(col.data(), g, expected.data());
    col2im(col.data(), g, image.data(), &ctx);
    INFO("case c" << t.c << " " << t.h << "x" << t.w << " k" << t.kh << "x" << t.kw << " s" << t.sh
                  << "," << t.sw << " d" << t.dh << "," << t.dw);
    REQUIRE(image == expected);
  }
}

TEST_CASE("inside_range finds exactly the in-image positions", "[kernels]") {
  for (int64_t stride = 1; stride <= 4; ++stride) {
    for (int64_t offset = -9; offset <= 9; ++offset) {
      for (int64_t size = 0; size <= 8; ++size) {
        for (int64_t count = 0; count <= 10; ++count) {
          const IndexRange r = inside_range(offset, stride, size, count);
          for (int64_t t = 0; t < count; ++t) {
            const int64_t x = offset + t * stride;
            INFO("stride " << stride << " offset " << offset << " size " << size << " t " << t);
            REQUIRE((t >= r.lo && t < r.hi) == (x >= 0 && x < size));
          }
          REQUIRE((r.lo <= r.hi && r.hi <= count));
        }
      }
    }
  }
}

TEST_CASE("packed conv weights are cached for the last three weight tensors", "[kernels]") {
  // LRP alternates a conv's own weights with its rule-modified ones: none is packed twice.
  PackedWeights cache;
  std::vector<Tensor> w;
  for (unsigned s = 0; s < 4; ++s) w.push_back(test::random_tensor({6, 4, 3, 3}, 70 + s));
  const auto first = cache.get(w[0], 2), second = cache.get(w[1], 2), third = cache.get(w[2], 2);
  REQUIRE(first->groups.size() == 2);
  for (int round = 0; round < 2; ++round) {
    CHECK(cache.get(w[0], 2) == first);
    CHECK(cache.get(w[2], 2) == third);
    CHECK(cache.get(w[1], 2) == second);
  }
  // A fourth tensor evicts the least recently used (w[0]); the others stay.
  cache.get(w[3], 2);
  CHECK(cache.get(w[1], 2) == second);
  CHECK(cache.get(w[2], 2) == third);
  CHECK(cache.get(w[0], 2) != first);
}

TEST_CASE("a batch of images as one GEMM matches each image alone", "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  // Maps whose rows do not divide the 32/16/8-column strips, so strips cross images; 1×1 maps
  // make one run per column (40 images: strips of 32 columns from 32 images).
  for (const ConvGeometry& g : {geometry(5, 7, 5, 3, 1, 1, 1), geometry(3, 6, 9, 3, 2, 1, 0),
                                geometry(4, 3, 3, 1, 1, 1, 0), geometry(2, 3, 3, 3, 1, 1, 0)}) {
    const int64_t count = g.out_w == 1 ? 40 : 5, out_c = 7, kdim = g.channels * g.k_h * g.k_w;
    const int64_t in_image = g.channels * g.in_h * g.in_w, cols = g.out_h * g.out_w;
    const std::vector<float> images = random_vector(count * in_image, 21);
    const std::vector<float> w = random_vector(out_c * kdim, 22), bias = random_vector(out_c, 23);
    std::vector<float> ref(static_cast<size_t>(count * out_c * cols));
    for (int64_t b = 0; b < count; ++b) {
      conv_reference(w.data(), out_c, images.data() + b * in_image, g, bias.data(),
                     Activation::relu(), ref.data() + b * out_c * cols);
    }
    for (const MicroKernel* kernel : gemm_kernels()) {
      const PackedA packed = pack_a(*kernel, false, out_c, kdim, 1.0f, w.data(), kdim);
      for (const ConvPath path : {ConvPath::automatic, ConvPath::phases, ConvPath::runs}) {
        std::vector<float> fast(ref.size());
        conv_gemm_batch(packed, images.data(), count, in_image, g, bias.data(), Activation::relu(),
                        fast.data(), out_c * cols, &ctx, path);
        require_close(fast, ref, 1e-4f,
                      std::string(kernel->name) + " batched conv path " +
                          std::to_string(static_cast<int>(path)));
      }
    }
  }
}

TEST_CASE("depthwise kernel matches the reference convolution, borders and odd sizes",
          "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  struct Case {
    int64_t h, w, k, s, d, pad;
  };
  // 3×3 and 5×5 at strides 1 and 2 (the unrolled rows), planes smaller than the kernel's
  // reach, asymmetric sizes, and shapes only the general path takes (dilation, 4×4, 7×7).
  const Case cases[] = {{7, 7, 3, 1, 1, 1},  {8, 9, 3, 2, 1, 1},   {14, 13, 5, 1, 1, 2},
                        {7, 7, 5, 2, 1, 2},  {2, 3, 5, 1, 1, 2},   {1, 1, 3, 1, 1, 1},
                        {9, 11, 3, 1, 2, 2}, {10, 10, 4, 2, 1, 1}, {12, 5, 7, 1, 1, 3},
                        {33, 31, 3, 2, 1, 0}};
  const int64_t channels = 6;
  for (const Case& t : cases) {
    const ConvGeometry g = geometry(1, t.h, t.w, t.k, t.s, t.d, t.pad);
    const int64_t in_plane = t.h * t.w, out_plane = g.out_h * g.out_w;
    const std::vector<float> image = random_vector(channels * in_plane, 4);
    const std::vector<float> w = random_vector(channels * t.k * t.k, 5);
    const std::vector<float> bias = random_vector(channels, 6);
    for (const Activation act : {Activation{}, Activation::clip(0.0f, 6.0f)}) {
      std::vector<float> ref(static_cast<size_t>(channels * out_plane));
      for (int64_t c = 0; c < channels; ++c) {
        conv_reference(w.data() + c * t.k * t.k, 1, image.data() + c * in_plane, g, bias.data() + c,
                       act, ref.data() + c * out_plane);
      }
      std::vector<float> fast(ref.size());
      depthwise_conv(image.data(), w.data(), bias.data(), g, channels, act, fast.data(), &ctx);
      require_close(fast, ref, 1e-5f,
                    "depthwise " + std::to_string(t.h) + "x" + std::to_string(t.w) + " k" +
                        std::to_string(t.k) + " s" + std::to_string(t.s));
    }
  }
}

TEST_CASE("depthwise backward is the adjoint of the depthwise kernel", "[kernels]") {
  // Strides past the filter's reach (1×1 stride 3: inputs no tap reads), dilation, 3×3, 5×5
  // and 7×7 (the general taps loop), one thread and two.
  const ConvGeometry shapes[] = {geometry(1, 9, 7, 3, 1, 1, 1),  geometry(1, 10, 11, 3, 2, 1, 1),
                                 geometry(1, 7, 7, 5, 2, 1, 2),  geometry(1, 8, 6, 3, 1, 2, 1),
                                 geometry(1, 10, 9, 1, 3, 1, 0), geometry(1, 11, 12, 7, 2, 1, 3),
                                 geometry(1, 9, 9, 3, 3, 1, 1)};
  const int64_t channels = 5;
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  for (const ConvGeometry& g : shapes) {
    const int64_t in_n = channels * g.in_h * g.in_w, out_n = channels * g.out_h * g.out_w;
    const std::vector<float> x = random_vector(in_n, 11), dy = random_vector(out_n, 12);
    const std::vector<float> w = random_vector(channels * g.k_h * g.k_w, 13);
    std::vector<float> y(static_cast<size_t>(out_n)), dx(static_cast<size_t>(in_n), std::nanf(""));
    depthwise_conv(x.data(), w.data(), nullptr, g, channels, Activation{}, y.data(), nullptr);
    depthwise_conv_backward(dy.data(), w.data(), g, channels, dx.data(), nullptr);
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < out_n; ++i) lhs += static_cast<double>(dy[i]) * y[i];
    for (int64_t i = 0; i < in_n; ++i) rhs += static_cast<double>(dx[i]) * x[i];
    REQUIRE(lhs == Approx(rhs).epsilon(1e-5));
    // Element by element: each tap's product moved back to the input position it read.
    std::vector<double> want(static_cast<size_t>(in_n), 0.0);
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oy = 0; oy < g.out_h; ++oy)
        for (int64_t ox = 0; ox < g.out_w; ++ox)
          for (int64_t ki = 0; ki < g.k_h; ++ki)
            for (int64_t kj = 0; kj < g.k_w; ++kj) {
              const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
              const int64_t ix = ox * g.stride_w - g.pad_left + kj * g.dilation_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              want[static_cast<size_t>((c * g.in_h + iy) * g.in_w + ix)] +=
                  static_cast<double>(w[static_cast<size_t>((c * g.k_h + ki) * g.k_w + kj)]) *
                  dy[static_cast<size_t>((c * g.out_h + oy) * g.out_w + ox)];
            }
    std::vector<float> threaded(static_cast<size_t>(in_n), std::nanf(""));
    depthwise_conv_backward(dy.data(), w.data(), g, channels, threaded.data(), &ctx);
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("k" << g.k_h << " s" << g.stride_h << " at " << i);
      REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-5 * (1 + std::fabs(want[i])));
      REQUIRE(threaded[i] == dx[i]);
    }
  }
}

TEST_CASE("conv input gradient, a block of channels at a time, matches the plain sum",
          "[kernels]") {
  // Pointwise (dx written directly; a 1×1 map with no packing), 3×3 padded, strided and dilated;
  // block budgets from one channel per block to all channels at once, with a last block shorter
  // than the others.
  const ConvGeometry shapes[] = {geometry(7, 6, 5, 1, 1, 1, 0), geometry(9, 1, 1, 1, 1, 1, 0),
                                 geometry(7, 9, 8, 3, 1, 1, 1), geometry(5, 11, 10, 3, 2, 1, 1),
                                 geometry(6, 9, 9, 3, 1, 2, 2), geometry(3, 13, 12, 7, 2, 1, 3),
                                 geometry(4, 6, 7, 5, 1, 1, 2), geometry(3, 8, 9, 3, 1, 1, 0),
                                 geometry(2, 5, 5, 5, 1, 1, 4), geometry(3, 7, 6, 3, 1, 1, 3)};
  // Which of them are stride-1 convolutions of dy with the flipped filter (pads ≤ reach).
  const bool flips[] = {false, false, true, false, false, false, true, true, true, false};
  const int64_t out_channels = 13;
  int shape_index = 0;
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  for (const ConvGeometry& g : shapes) {
    const int64_t taps = g.k_h * g.k_w, in_n = g.channels * g.in_h * g.in_w;
    const int64_t cols = g.out_h * g.out_w;
    const std::vector<float> w = random_vector(out_channels * g.channels * taps, 21);
    const std::vector<float> dy = random_vector(out_channels * cols, 22);
    std::vector<double> want(static_cast<size_t>(in_n), 0.0);
    for (int64_t o = 0; o < out_channels; ++o)
      for (int64_t c = 0; c < g.channels; ++c)
        for (int64_t ki = 0; ki < g.k_h; ++ki)
          for (int64_t kj = 0; kj < g.k_w; ++kj)
            for (int64_t oy = 0; oy < g.out_h; ++oy)
              for (int64_t ox = 0; ox < g.out_w; ++ox) {
                const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
                const int64_t ix = ox * g.stride_w - g.pad_left + kj * g.dilation_w;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
                want[static_cast<size_t>((c * g.in_h + iy) * g.in_w + ix)] +=
                    static_cast<double>(
                        w[static_cast<size_t>(((o * g.channels + c) * g.k_h + ki) * g.k_w + kj)]) *
                    dy[static_cast<size_t>(o * cols + oy * g.out_w + ox)];
              }
    const int64_t per_channel = taps * (out_channels + (is_pointwise(g) ? 0 : cols));
    for (int64_t channels_per_block : {int64_t{1}, int64_t{2}, g.channels}) {
      for (const ExecContext* c : std::vector<const ExecContext*>{nullptr, &ctx}) {
        // Pointwise writes dx; the others add to it, so it starts at zero.
        std::vector<float> dx(static_cast<size_t>(in_n), is_pointwise(g) ? std::nanf("") : 0.0f);
        conv_input_gradient(w.data(), out_channels, dy.data(), g, dx.data(), c,
                            channels_per_block * per_channel);
        for (size_t i = 0; i < want.size(); ++i) {
          INFO("k" << g.k_h << " s" << g.stride_h << " block " << channels_per_block << " at "
                   << i);
          REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
        }
      }
    }
    // With the whole Wᵀ packed once (as LRP keeps it), as two groups of the same weights.
    PackedWeights transposed(WeightLayout::transposed);
    const Tensor both = Tensor::from_f32({2 * out_channels, g.channels, g.k_h, g.k_w}, [&] {
      std::vector<float> twice = w;
      twice.insert(twice.end(), w.begin(), w.end());
      return twice;
    }());
    const auto kept = transposed.get(both, 2, &ctx);
    REQUIRE(kept->groups.size() == 2);
    for (const PackedA& wt : kept->groups) {
      std::vector<float> dx(static_cast<size_t>(in_n), is_pointwise(g) ? std::nanf("") : 0.0f);
      conv_input_gradient_packed(wt, dy.data(), g, dx.data(), &ctx);
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("k" << g.k_h << " s" << g.stride_h << " packed Wᵀ at " << i);
        REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
      }
    }
    // As a convolution of dy with the flipped filter (LRP keeps it for stride-1 kernels); dx is
    // written.
    REQUIRE(flips_input_gradient(g) == flips[shape_index++]);
    if (!flips_input_gradient(g)) continue;
    PackedWeights flipped(WeightLayout::flipped);
    const auto kept_flipped = flipped.get(both, 2, &ctx);
    REQUIRE(kept_flipped->groups.size() == 2);
    for (const PackedA& wf : kept_flipped->groups) {
      for (const ExecContext* c : std::vector<const ExecContext*>{nullptr, &ctx}) {
        std::vector<float> dx(static_cast<size_t>(in_n), std::nanf(""));
        conv_input_gradient_flipped(wf, dy.data(), g, dx.data(), c);
        for (size_t i = 0; i < want.size(); ++i) {
          INFO("k" << g.k_h << " pad " << g.pad_top << " flipped filter at " << i);
          REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
        }
      }
    }
  }
}

TEST_CASE("max pooling and its gradient match the window scan, NaN, ties and empty windows",
          "[kernels]") {
  struct Case {
    int64_t h, w, k, s, d, pad;
    bool ceil;  // ceil_mode: a last window that runs past the input and its padding
  };
  const Case cases[] = {
      {8, 8, 2, 2, 1, 0, false},  {112, 112, 3, 2, 1, 1, false}, {7, 9, 3, 1, 1, 1, false},
      {5, 6, 3, 2, 2, 2, false},  {1, 1, 3, 1, 1, 1, false},     {13, 4, 5, 3, 1, 2, false},
      {14, 13, 3, 2, 1, 0, true}, {9, 10, 2, 2, 1, 0, true},     {6, 7, 1, 3, 1, 0, false}};
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  for (const Case& t : cases) {
    ConvGeometry g = geometry(1, t.h, t.w, t.k, t.s, t.d, t.pad);
    if (t.ceil) {
      g.out_h += 1;
      g.out_w += 1;
    }
    const int64_t planes = 3;
    std::vector<float> x = random_vector(planes * t.h * t.w, 7);
    x[x.size() / 2] = std::numeric_limits<float>::quiet_NaN();
    x[1] = -std::numeric_limits<float>::infinity();
    std::vector<float> fast(static_cast<size_t>(planes * g.out_h * g.out_w)), ref(fast.size());
    max_pool_planes(x.data(), planes, g, fast.data(), t.ceil ? &ctx : nullptr);
    max_pool_planes_reference(x.data(), planes, g, ref.data());
    for (size_t i = 0; i < ref.size(); ++i) {
      INFO("max pool " << t.h << "x" << t.w << " k" << t.k << " at " << i);
      if (std::isnan(ref[i]))
        REQUIRE(std::isnan(fast[i]));
      else
        REQUIRE(fast[i] == ref[i]);
    }
    // The gradient, with ties (whole numbers; the first maximum wins), the NaN and the −∞
    // above, and a plane of −∞ alone (nothing beats it: the scan's first pixel takes it).
    std::vector<float> tied = x;
    for (float& v : tied)
      if (std::isfinite(v)) v = std::round(2 * v);
    std::fill(tied.begin(), tied.begin() + t.h * t.w, -std::numeric_limits<float>::infinity());
    const std::vector<float> dy = random_vector(planes * g.out_h * g.out_w, 8);
    for (const std::vector<float>* in : {&x, &tied}) {
      std::vector<float> dx_ref(x.size()), dx_one(x.size(), std::nanf("")), dx_two(dx_one);
      max_pool_backward_planes_reference(in->data(), dy.data(), planes, g, dx_ref.data());
      max_pool_backward_planes(in->data(), dy.data(), planes, g, dx_one.data(), nullptr);
      max_pool_backward_planes(in->data(), dy.data(), planes, g, dx_two.data(), &ctx);
      for (size_t i = 0; i < dx_ref.size(); ++i) {
        INFO("max pool gradient " << t.h << "x" << t.w << " k" << t.k << " at " << i);
        REQUIRE(dx_one[i] == dx_ref[i]);
        REQUIRE(dx_two[i] == dx_ref[i]);
      }
    }
  }
}

TEST_CASE("broadcast elementwise loops match the plain loop", "[kernels]") {
  REQUIRE(broadcast_block({1, 8, 5, 5}, {1, 8, 5, 5}) == 1);
  REQUIRE(broadcast_block({1, 8, 1, 1}, {1, 8, 5, 5}) == 25);
  REQUIRE(broadcast_block({8, 1, 1}, {1, 8, 5, 5}) == 25);
  REQUIRE(broadcast_block({}, {2, 3}) == 6);
  REQUIRE(broadcast_block({1}, {2, 3}) == 6);
  REQUIRE(broadcast_block({2, 1}, {2, 3}) == 3);
  REQUIRE(broadcast_block({3}, {2, 3}) == -1);              // varies along the last dimension
  REQUIRE(broadcast_block({8, 1, 1}, {2, 8, 5, 5}) == -1);  // repeats over the batch
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  const int64_t n = 70001;  // parallel, with a block that does not divide the chunks
  const std::vector<float> full = random_vector(n, 8), per = random_vector(n, 9);
  const struct {
    BinaryKind kind;
    float (*f)(float, float);
  } ops[] = {{BinaryKind::add, [](float u, float v) { return u + v; }},
             {BinaryKind::sub, [](float u, float v) { return u - v; }},
             {BinaryKind::mul, [](float u, float v) { return u * v; }},
             {BinaryKind::div, [](float u, float v) { return u / v; }},
             {BinaryKind::other, [](float u, float v) { return std::max(u, v); }}};
  for (const auto& op : ops) {
    for (int64_t block : {int64_t{1}, int64_t{7}, n}) {
      for (bool swap : {false, true}) {
        const float* a = swap ? per.data() : full.data();
        const float* b = swap ? full.data() : per.data();
        const int64_t ab = swap ? block : 1, bb = swap ? 1 : block;
        std::vector<float> fast(n), ref(n);
        binary_blocks(op.kind, op.f, a, ab, b, bb, fast.data(), n, &ctx);
        binary_blocks_reference(op.f, a, ab, b, bb, ref.data(), n);
        REQUIRE(fast == ref);
      }
    }
  }
}

TEST_CASE("Add/Mul gradient loops match the plain loop, full and per-block operands", "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  const int64_t n = 70007 * 3;  // parallel; 7 and 70007 blocks do not divide the chunks
  const std::vector<float> g = random_vector(n, 41), other = random_vector(n, 42);
  for (int64_t block : {int64_t{1}, int64_t{3}, int64_t{7}, int64_t{70007}, n}) {
    for (bool with_factor : {false, true}) {
      const float* factor = with_factor ? other.data() : nullptr;
      // The full operand's gradient against a factor that is constant over `block`, and the
      // blocked operand's gradient (summed) against a full factor.
      for (bool own_full : {true, false}) {
        if (!own_full && block == 1) continue;
        const int64_t own = own_full ? 1 : block, factor_block = own_full ? block : 1;
        const size_t size = static_cast<size_t>(n / own);
        std::vector<float> fast(size, std::nanf("")), ref(size, std::nanf(""));
        binary_grad_blocks(g.data(), factor, factor_block, own, fast.data(), n, &ctx);
        binary_grad_blocks_reference(g.data(), factor, factor_block, own, ref.data(), n);
        INFO("block " << block << " factor " << with_factor << " own full " << own_full);
        require_close(fast, ref, own_full ? 0.0f : 1e-5f, "gradient");
      }
    }
  }
}

TEST_CASE("Relu/Sigmoid/Tanh gradient loops equal the per-element gradients", "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  std::vector<float> saved = random_vector(40000, 43), g = random_vector(40000, 44);
  saved[0] = 0.0f;
  saved[1] = -0.0f;
  saved[2] = std::nanf("");
  const struct {
    UnaryKind kind;
    float (*grad)(float saved, float g);
  } kinds[] = {{UnaryKind::relu, [](float x, float d) { return x > 0 ? d : 0.0f; }},
               {UnaryKind::sigmoid, [](float y, float d) { return d * y * (1.0f - y); }},
               {UnaryKind::tanh, [](float y, float d) { return d * (1.0f - y * y); }}};
  for (const auto& k : kinds) {
    std::vector<float> fast(saved.size());
    REQUIRE(unary_grad(k.kind, saved.data(), g.data(), fast.data(), 40000, &ctx));
    for (size_t i = 0; i < saved.size(); ++i) {
      const float want = k.grad(saved[i], g[i]);
      INFO("kind " << static_cast<int>(k.kind) << " at " << i << ": " << fast[i] << " vs " << want);
      REQUIRE((std::isnan(want) ? std::isnan(fast[i])
                                : std::fabs(fast[i] - want) <= 1e-6f * (1 + std::fabs(want))));
    }
  }
  std::vector<float> untouched(4, 7.0f);
  CHECK_FALSE(unary_grad(UnaryKind::elu, saved.data(), g.data(), untouched.data(), 4, &ctx));
  CHECK(untouched == std::vector<float>(4, 7.0f));
}

TEST_CASE("the one-pass SiLU gradient matches the Mul + Sigmoid gradients", "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  for (const int64_t n : {int64_t{1}, int64_t{17}, int64_t{16385}, int64_t{50001}}) {
    std::vector<float> x = random_vector(static_cast<size_t>(n), 51),
                       g = random_vector(static_cast<size_t>(n), 52), s(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      x[i] *= 8.0f;  // saturated sigmoids too
      s[i] = 1.0f / (1.0f + std::exp(-x[i]));
    }
    std::vector<float> fast(static_cast<size_t>(n)), ref(static_cast<size_t>(n));
    silu_grad(g.data(), x.data(), s.data(), n, fast.data(), &ctx);
    silu_grad_reference(g.data(), x.data(), s.data(), n, ref.data());
    for (int64_t i = 0; i < n; ++i) {
      // d/dx x·σ(x) = σ + x·σ·(1 − σ), in double.
      const double sd = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
      const double want = g[i] * (sd + x[i] * sd * (1.0 - sd));
      INFO("n " << n << " at " << i);
      REQUIRE(std::fabs(fast[i] - ref[i]) <= 1e-6f * (1 + std::fabs(ref[i])));
      REQUIRE(std::fabs(fast[i] - want) <= 1e-5 * (1 + std::fabs(want)));
    }
  }
}

TEST_CASE("LRP's element-wise kernels match plain loops, zeros and signs included", "[kernels]") {
  const int64_t n = 1037;  // a vector tail
  std::vector<float> r = random_vector(n, 51), z = random_vector(n, 52);
  z[0] = 0.0f;
  z[1] = -0.0f;
  z[2] = -0.25f;  // z − ε = −0.5 with ε = 0.25; z[3] + ε = 0 below
  z[3] = -0.25f;
  const float eps = 0.25f;
  std::vector<float> fast(n), sum(n), prod(n), split(n);
  const std::vector<float> c = random_vector(n, 53);
  stabilized_divide(r.data(), z.data(), eps, n, fast.data());
  combine_floats(0.5f, r.data(), -2.0f, z.data(), n, sum.data());
  multiply_floats(r.data(), z.data(), n, prod.data());
  split_multiply(z.data(), r.data(), c.data(), n, split.data());
  for (int64_t i = 0; i < n; ++i) {
    const float d = z[i] + (z[i] >= 0.0f ? eps : -eps);
    INFO("at " << i);
    REQUIRE(fast[i] == (d == 0.0f ? 0.0f : r[i] / d));
    REQUIRE(sum[i] == static_cast<float>(0.5 * r[i] - 2.0 * z[i]));
    REQUIRE(prod[i] == r[i] * z[i]);
    // x⁺·a + x⁻·c as the rules wrote it: two products and a sum.
    REQUIRE(split[i] == std::max(z[i], 0.0f) * r[i] + std::min(z[i], 0.0f) * c[i]);
  }
  // ε = 0 at z = 0 divides by nothing: 0.
  stabilized_divide(r.data(), z.data(), 0.0f, 2, fast.data());
  CHECK(fast[0] == 0.0f);
  CHECK(fast[1] == 0.0f);
  std::vector<float> positive(n, 1.0f);
  positive[n - 1] = std::nanf("");
  CHECK_FALSE(any_negative(positive.data(), n));
  positive[n - 2] = -1e-30f;  // in the scalar tail
  CHECK(any_negative(positive.data(), n));
  positive[n - 2] = 1.0f;
  positive[5] = -0.0f;  // not negative
  CHECK_FALSE(any_negative(positive.data(), n));
  positive[6] = -3.0f;
  CHECK(any_negative(positive.data(), n));
}

TEST_CASE("the kernels' exponential is accurate to 2e-7 over its range", "[kernels]") {
  double worst = 0;
  for (float x = -87.0f; x < 88.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(exp_for_kernels(x) - want) / want);
  }
  REQUIRE(worst < 2e-7);
}

TEST_CASE("fused Conv + Relu / Clip / SiLU equals the unfused graph", "[kernels][engine]") {
  // conv1 → Relu, conv2 → Clip(0, 6), conv3 → SiLU (Sigmoid + Mul), conv4 → depthwise + Relu;
  // conv2's output is also captured in one run, which must turn its fusion off.
  test::OnnxBuilder b(13);
  b.input("x", {1, 3, 9, 11});
  b.initializer("w1", test::random_tensor({8, 3, 3, 3}, 1, 0.3f));
  b.initializer("b1", test::random_tensor({8}, 2, 0.3f));
  b.initializer("w2", test::random_tensor({8, 8, 1, 1}, 3, 0.3f));
  b.initializer("w3", test::random_tensor({8, 8, 3, 3}, 4, 0.3f));
  b.initializer("w4", test::random_tensor({8, 1, 3, 3}, 5, 0.3f));
  b.initializer("lo", Tensor::scalar(0.0f));
  b.initializer("hi", Tensor::scalar(6.0f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {test::OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"});
  b.node("Clip", {"c2", "lo", "hi"}, {"r2"});
  b.node(
      "Conv", {"r2", "w3"}, {"c3"},
      {test::OnnxBuilder::ints("strides", {2, 2}), test::OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Sigmoid", {"c3"}, {"s3"});
  b.node("Mul", {"c3", "s3"}, {"r3"});
  b.node("Conv", {"r3", "w4"}, {"c4"},
         {test::OnnxBuilder::int_attr("group", 8), test::OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c4"}, {"y"});
  b.output("y");
  Engine e = test::load(b);
  const Tensor x = test::random_tensor({1, 3, 9, 11}, 6);
  const auto plan = e.plan({x.shape()}, {DType::f32});
  int fused = 0;
  for (const Fusion& f : plan->fusions) fused += f.activation.none() ? 0 : 1;
  REQUIRE(fused == 4);

  ForwardOptions unfused;
  unfused.record = true;  // recording keeps pre-activations, so nothing is fused
  const Tensor want = e.forward({x}, unfused).outputs[0];
  const Tensor got = e.forward({x}).outputs[0];
  ForwardOptions capture;
  capture.capture = {"c2"};
  const ForwardResult captured = e.forward({x}, capture);
  REQUIRE(captured.captured.at("c2").defined());
  for (const Tensor& t : {got, captured.outputs[0]}) {
    REQUIRE(t.shape() == want.shape());
    for (int64_t i = 0; i < t.numel(); ++i)
      REQUIRE(t.f32()[i] == Approx(want.f32()[i]).margin(1e-5));
  }
}
