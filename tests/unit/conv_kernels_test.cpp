// Convolution kernels against their plain references: the implicit-im2col packed GEMM (by
// stride phases and by runs), the depthwise kernel and its adjoint, the blocked, transposed
// and flipped-filter input gradients, col2im and the packed-weight cache.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/thread_pool.h"
#include "kernel_test_util.h"
#include "kernels/conv_gemm.h"
#include "kernels/im2col.h"
#include "kernels/winograd.h"
#include "test_models.h"

using namespace heatlens;
using namespace heatlens::test;

TEST_CASE("conv as a packed GEMM over the implicit im2col matches im2col + reference GEMM",
          "[kernels]") {
  ThreadPool pool(2);
  ExecContext ctx{&pool};
  struct Case {
    int64_t c, h, w, k, s, d, pad, out_c;
  };
  // Strips of 16 (or 8) columns that straddle output rows, padding on every side, strides,
  // dilation, 1×1 (pointwise, read in place), 1×1 with strides 2 and 3 (the picked pixels
  // multiplied as a pointwise layer's) and 1×1 with padding, channel counts around a
  // K block (256 = 64·2·2, 28·3·3 = 252 → 259 with 37·7); output rows of 35 and 40 columns,
  // at least a strip, which the stride phases read as the output's own columns (a strip of 32
  // is then one or two runs), 30·3·3 = 270 rows crossing a K block there.
  const Case cases[] = {
      {3, 7, 9, 3, 1, 1, 1, 5},   {1, 1, 1, 1, 1, 1, 0, 1},   {4, 17, 5, 3, 2, 1, 1, 7},
      {2, 11, 13, 5, 1, 2, 3, 6}, {64, 5, 6, 2, 1, 1, 0, 13}, {37, 9, 9, 1, 1, 1, 0, 97},
      {29, 9, 10, 3, 1, 1, 1, 8}, {8, 15, 15, 1, 2, 1, 0, 9}, {3, 23, 19, 7, 2, 1, 3, 16},
      {16, 3, 3, 3, 1, 1, 2, 4},  {3, 9, 70, 3, 2, 1, 1, 7},  {30, 5, 40, 3, 1, 1, 1, 5},
      {5, 10, 14, 1, 3, 1, 0, 6}, {3, 6, 7, 1, 1, 1, 1, 4}};
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
                        {6, 11, 13, 1, 1, 3, 2, 1, 1, 0, 0, 0, 0, 7, 2},
                        {2, 12, 12, 4, 4, 4, 4, 1, 1, 0, 0, 0, 0, 3, 2}};
  for (const Case& t : cases) {
    const ConvGeometry g = geometry(t.c, t.h, t.w, t.kh, t.kw, t.sh, t.sw, t.dh, t.dw, t.top,
                                    t.left, t.bottom, t.right);
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
      {3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {2, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
      {4, 6, 7, 2, 5, 1, 3, 2, 1, 0, 4, 3, 2},
      {1, 5, 1, 3, 1, 1, 1, 1, 1, 4, 0, 4, 0},
      {5, 11, 10, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3},
      {2, 4, 4, 3, 3, 1, 1, 3, 3, 5, 5, 5, 5},
      {3, 9, 12, 1, 1, 2, 3, 1, 1, 0, 0, 0, 0},
      // Stride-2 columns by pairs of taps: rows longer than a vector with odd tails, pads that
      // leave one tap of a pair outside at either edge, an even and an odd kernel width, one
      // tap alone, row stride 1 and dilated rows, ResNet's stem, and dilated columns (no pairs).
      {2, 5, 70, 3, 4, 1, 2, 1, 1, 1, 2, 0, 1},
      {1, 9, 67, 5, 5, 2, 2, 2, 1, 2, 3, 2, 0},
      {3, 6, 33, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0},
      {2, 7, 37, 2, 1, 2, 2, 1, 1, 1, 1, 0, 0},
      {2, 40, 40, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3},
      {1, 6, 9, 3, 6, 1, 2, 1, 1, 0, 5, 0, 4},
      {2, 9, 15, 3, 3, 2, 2, 1, 2, 1, 2, 1, 2}};
  for (const Case& t : cases) {
    const ConvGeometry g = geometry(t.c, t.h, t.w, t.kh, t.kw, t.sh, t.sw, t.dh, t.dw, t.top,
                                    t.left, t.bottom, t.right);
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
  // 3×3 and 5×5 at strides 1 and 2 (the row kernel's unrolled cases), planes smaller than the
  // kernel's reach, asymmetric sizes, sizes the row kernel runs at run time (4×4, 7×7, stride
  // 3), dilation (the flat path); 3×3 stride 2 padding 1 (the split-row path) at even, odd,
  // tiny and vector-tail widths. Output widths 6–8, 9, 16, 17 and 33 put a row's last vector
  // just inside, just past or a whole block past a multiple of 8, and planes narrower than a
  // vector make the last rows spill.
  const Case cases[] = {
      {7, 7, 3, 1, 1, 1},  {8, 9, 3, 2, 1, 1},   {14, 13, 5, 1, 1, 2}, {7, 7, 5, 2, 1, 2},
      {2, 3, 5, 1, 1, 2},  {1, 1, 3, 1, 1, 1},   {9, 11, 3, 1, 2, 2},  {10, 10, 4, 2, 1, 1},
      {12, 5, 7, 1, 1, 3}, {33, 31, 3, 2, 1, 0}, {16, 16, 3, 2, 1, 1}, {7, 7, 3, 2, 1, 1},
      {2, 1, 3, 2, 1, 1},  {1, 2, 3, 2, 1, 1},   {40, 37, 3, 2, 1, 1}, {9, 17, 3, 1, 1, 1},
      {5, 33, 5, 1, 1, 2}, {12, 16, 5, 2, 1, 2}, {11, 11, 5, 2, 1, 2}, {10, 40, 3, 3, 1, 1},
      {3, 8, 3, 1, 1, 0},  {4, 16, 3, 1, 1, 1},  {13, 34, 5, 2, 1, 1}, {6, 6, 5, 1, 1, 2}};
  // 21 channels: maps of at most 16×16 outputs take the interleaved kernel, sixteen channels to
  // a vector, so one whole block and one of five; planes of 1 to 182 pixels, sixteen at a time
  // by a transpose and the rest one by one.
  const int64_t channels = 21;
  for (const Case& t : cases) {
    const ConvGeometry g = geometry(1, t.h, t.w, t.k, t.s, t.d, t.pad);
    const int64_t in_plane = t.h * t.w, out_plane = g.out_h * g.out_w;
    const std::vector<float> image = random_vector(channels * in_plane, 4);
    const std::vector<float> w = random_vector(channels * t.k * t.k, 5);
    const std::vector<float> bias = random_vector(channels, 6);
    for (const Activation act :
         {Activation{}, Activation::clip(0.0f, 6.0f), Activation::relu(), Activation::silu()}) {
      std::vector<float> ref(static_cast<size_t>(channels * out_plane));
      for (int64_t c = 0; c < channels; ++c) {
        conv_reference(w.data() + c * t.k * t.k, 1, image.data() + c * in_plane, g, bias.data() + c,
                       act, ref.data() + c * out_plane);
      }
      // Sentinels after the last plane: a row's vector must not be stored past the output.
      std::vector<float> fast(ref.size() + 16, -7.0f);
      depthwise_conv(image.data(), w.data(), bias.data(), g, channels, act, fast.data(), &ctx);
      const std::string name = "depthwise " + std::to_string(t.h) + "x" + std::to_string(t.w) +
                               " k" + std::to_string(t.k) + " s" + std::to_string(t.s);
      for (size_t i = ref.size(); i < fast.size(); ++i) {
        INFO(name);
        REQUIRE(fast[i] == -7.0f);
      }
      fast.resize(ref.size());
      require_close(fast, ref, 1e-5f, name);
    }
  }
  // 3×3 stride 2 with padding 1 before and 0 or 2 after: the split-row path's bottom and right
  // edges with no padding and with output columns past the image (maps past 16 × 16 outputs).
  for (const int64_t after : {0, 2}) {
    const ConvGeometry g = geometry(1, 35, 36, 3, 3, 2, 2, 1, 1, 1, 1, after, after);
    REQUIRE(g.out_w > 16);
    const int64_t in_plane = 35 * 36, out_plane = g.out_h * g.out_w;
    const std::vector<float> image = random_vector(channels * in_plane, 7);
    const std::vector<float> w = random_vector(channels * 9, 8);
    std::vector<float> ref(static_cast<size_t>(channels * out_plane)), fast(ref.size());
    for (int64_t c = 0; c < channels; ++c) {
      conv_reference(w.data() + c * 9, 1, image.data() + c * in_plane, g, nullptr, Activation{},
                     ref.data() + c * out_plane);
    }
    depthwise_conv(image.data(), w.data(), nullptr, g, channels, Activation{}, fast.data(), &ctx);
    require_close(fast, ref, 1e-5f, "depthwise 35x36 k3 s2 padded after " + std::to_string(after));
  }
}

TEST_CASE("depthwise backward is the adjoint of the depthwise kernel", "[kernels]") {
  // Strides past the filter's reach (1×1 stride 3: inputs no tap reads), dilation, 3×3, 5×5
  // and 7×7 (the general taps loop), one thread and two. Stride 2 has a kernel of its own
  // (half rows by column parity): 3- and 5-wide filters and others (1, 4, 7), odd and even
  // sizes, half rows longer than a vector, pads of 0, past the filter's reach and uneven
  // (top 0, left 1: TensorFlow's "same"), and a filter taller than wide.
  const ConvGeometry shapes[] = {geometry(1, 9, 7, 3, 1, 1, 1),
                                 geometry(1, 10, 11, 3, 2, 1, 1),
                                 geometry(1, 7, 7, 5, 2, 1, 2),
                                 geometry(1, 8, 6, 3, 1, 2, 1),
                                 geometry(1, 10, 9, 1, 3, 1, 0),
                                 geometry(1, 11, 12, 7, 2, 1, 3),
                                 geometry(1, 9, 9, 3, 3, 1, 1),
                                 geometry(1, 37, 35, 3, 2, 1, 1),
                                 geometry(1, 36, 40, 5, 2, 1, 2),
                                 geometry(1, 9, 10, 4, 2, 1, 1),
                                 geometry(1, 8, 9, 1, 2, 1, 0),
                                 geometry(1, 12, 13, 3, 2, 1, 0),
                                 geometry(1, 9, 9, 3, 2, 1, 3),
                                 geometry(1, 14, 15, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0),
                                 geometry(1, 13, 34, 5, 3, 2, 2, 1, 1, 2, 1, 2, 1)};
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
    // By blocks of channels, and (fewer than 8 channels) by bands of the fewest output rows.
    for (int64_t band_floats : {int64_t{1} << 40, int64_t{1}}) {
      for (int64_t channels_per_block : {int64_t{1}, int64_t{2}, g.channels}) {
        for (const ExecContext* c : std::vector<const ExecContext*>{nullptr, &ctx}) {
          // Pointwise writes dx; the others add to it, so it starts at zero.
          std::vector<float> dx(static_cast<size_t>(in_n), is_pointwise(g) ? std::nanf("") : 0.0f);
          conv_input_gradient(w.data(), out_channels, dy.data(), g, dx.data(), c,
                              channels_per_block * per_channel, band_floats);
          for (size_t i = 0; i < want.size(); ++i) {
            INFO("k" << g.k_h << " s" << g.stride_h << " block " << channels_per_block
                     << ", bands of " << band_floats << " floats, at " << i);
            REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
          }
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
    // Whole, and by bands of output rows: the fewest rows (band_floats 1), two of those, and
    // about a third of the map.
    const int64_t m = g.channels * taps;
    for (const PackedA& wt : kept->groups) {
      for (int64_t band_floats :
           {int64_t{1} << 18, int64_t{1}, 2 * m * g.out_w * input_gradient_band_rows(g, m, 1),
            m * cols / 3}) {
        for (const ExecContext* c : std::vector<const ExecContext*>{nullptr, &ctx}) {
          std::vector<float> dx(static_cast<size_t>(in_n), is_pointwise(g) ? std::nanf("") : 0.0f);
          conv_input_gradient_packed(wt, dy.data(), g, dx.data(), Activation{}, c, band_floats);
          for (size_t i = 0; i < want.size(); ++i) {
            INFO("k" << g.k_h << " s" << g.stride_h << " packed Wᵀ, bands of " << band_floats
                     << " floats, at " << i);
            REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
          }
        }
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
        conv_input_gradient_flipped(wf, dy.data(), g, dx.data(), Activation{}, c);
        for (size_t i = 0; i < want.size(); ++i) {
          INFO("k" << g.k_h << " pad " << g.pad_top << " flipped filter at " << i);
          REQUIRE(std::fabs(dx[i] - want[i]) <= 1e-4 * (1 + std::fabs(want[i])));
        }
      }
    }
  }
}

TEST_CASE("the kept input gradient's bands two apart scatter to disjoint rows, as few as allow it",
          "[kernels]") {
  for (int64_t k = 1; k <= 7; ++k) {
    for (int64_t stride = 1; stride <= 3; ++stride) {
      for (int64_t dilation = 1; dilation <= 2; ++dilation) {
        ConvGeometry g;
        g.k_h = g.k_w = k;
        g.stride_h = g.stride_w = stride;
        g.dilation_h = g.dilation_w = dilation;
        g.out_h = g.out_w = 40;
        const int64_t rows = input_gradient_band_rows(g, 27, 1), reach = (k - 1) * dilation;
        INFO("k" << k << " s" << stride << " d" << dilation << ": " << rows << " rows");
        // Band b's last scatter row, (b·rows + rows − 1)·stride + reach, is above band b + 2's
        // first, (b + 2)·rows·stride; one row fewer would not be.
        CHECK(reach < (rows + 1) * stride);
        CHECK((rows == 1 || reach >= rows * stride));
        // Bigger budgets take more rows.
        CHECK(input_gradient_band_rows(g, 27, 27 * 40 * (rows + 5)) == rows + 5);
      }
    }
  }
}

TEST_CASE("Winograd F(2x2, 3x3) matches the reference convolution at odd sizes and pads",
          "[kernels]") {
  ThreadPool pool(2), pool3(3);
  ExecContext ctx{&pool}, ctx3{&pool3};
  struct Case {
    int64_t c, m, h, w, top, left, bottom, right;
  };
  // Odd and even maps (a last tile half outside), widths that end a vector of 8 tiles inside,
  // at or past a multiple of 16 columns, padding 0, 1 and 2 and asymmetric, and a map of 4×4;
  // maps of more than one band of 256 tiles: 23 tile rows of 19 in bands of 13 (the last band's
  // last row half outside, the first band padded by 2), and rows of 265 tiles, a band each.
  // Maps of 512 tiles or more (768 for three threads) go to the threads in shares of tile rows,
  // each in bands of its own: 3 rows of 265 tiles, 31 rows of 24 (the last half outside), and
  // 33 rows of 25 (11 rows, two bands, a share at three threads).
  const Case cases[] = {
      {8, 8, 7, 7, 1, 1, 1, 1},    {16, 24, 14, 14, 1, 1, 1, 1}, {9, 10, 13, 34, 1, 1, 1, 1},
      {12, 8, 6, 33, 0, 0, 0, 0},  {8, 13, 9, 17, 2, 2, 2, 2},   {8, 8, 4, 4, 1, 1, 1, 1},
      {10, 9, 11, 16, 1, 0, 0, 2}, {32, 64, 28, 28, 1, 1, 1, 1}, {8, 8, 45, 37, 2, 1, 0, 1},
      {4, 5, 5, 530, 1, 1, 1, 1},  {6, 7, 61, 47, 1, 1, 1, 1},   {4, 5, 65, 49, 1, 1, 1, 1}};
  for (const Case& t : cases) {
    const ConvGeometry g =
        geometry(t.c, t.h, t.w, 3, 3, 1, 1, 1, 1, t.top, t.left, t.bottom, t.right);
    // The kernel computes any size; it is chosen only where the channels make it pay.
    CHECK(winograd_applies(g, t.m) == (t.c >= 32 && t.m >= 32));
    const std::vector<float> image = random_vector(t.c * t.h * t.w, 11);
    const std::vector<float> w = random_vector(t.m * t.c * 9, 12);
    const std::vector<float> bias = random_vector(t.m, 13);
    const PackedConvWeights packed = winograd_weights(w.data(), t.m, t.c, &ctx);
    const size_t outputs = static_cast<size_t>(t.m * g.out_h * g.out_w);
    for (const Activation act : {Activation{}, Activation::relu()}) {
      std::vector<float> ref(outputs);
      conv_reference(w.data(), t.m, image.data(), g, bias.data(), act, ref.data());
      std::vector<float> serial;
      for (const ExecContext* c :
           {static_cast<const ExecContext*>(nullptr), static_cast<const ExecContext*>(&ctx),
            static_cast<const ExecContext*>(&ctx3)}) {
        // Sentinels after the output: a partial vector of tiles must not be stored past it.
        std::vector<float> fast(outputs + 16, -3.0f);
        winograd_conv(packed, image.data(), g, bias.data(), act, fast.data(), c);
        for (size_t i = outputs; i < fast.size(); ++i) REQUIRE(fast[i] == -3.0f);
        fast.resize(outputs);
        // However the threads share the work, each tile is computed alike: bit for bit.
        if (!c) serial = fast;
        REQUIRE(fast == serial);
        require_close(fast, ref, 2e-5f,
                      "winograd " + std::to_string(t.h) + "x" + std::to_string(t.w) + " c" +
                          std::to_string(t.c) + " pads " + std::to_string(t.top) +
                          std::to_string(t.left) + std::to_string(t.bottom) +
                          std::to_string(t.right));
      }
    }
  }
  // What it does not take: 5×5, stride 2, dilation, few channels.
  CHECK_FALSE(winograd_applies(geometry(32, 9, 9, 5, 1, 1, 2), 32));
  CHECK_FALSE(winograd_applies(geometry(32, 9, 9, 3, 2, 1, 1), 32));
  CHECK_FALSE(winograd_applies(geometry(32, 9, 9, 3, 1, 2, 2), 32));
  CHECK_FALSE(winograd_applies(geometry(3, 9, 9, 3, 1, 1, 1), 32));
}
