// The CPU fast paths against their plain references: max pooling, broadcast elementwise loops
// and their gradients, LRP's element-wise steps, the vectorised exponential, and activation
// fusion in the engine (a fused forward equals the unfused one). Convolution kernels are in
// conv_kernels_test.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "kernel_test_util.h"
#include "kernels/conv_gemm.h"
#include "kernels/elementwise.h"
#include "kernels/pool.h"
#include "test_models.h"

using namespace heatlens;
using namespace heatlens::test;

TEST_CASE("max pooling and its gradient match the window scan, NaN, ties and empty windows",
          "[kernels]") {
  struct Case {
    int64_t h, w, k, s, d, pad;
    bool ceil;  // ceil_mode: a last window that runs past the input and its padding
  };
  const Case cases[] = {
      {8, 8, 2, 2, 1, 0, false},
      {112, 112, 3, 2, 1, 1, false},
      {7, 9, 3, 1, 1, 1, false},
      {5, 6, 3, 2, 2, 2, false},
      {1, 1, 3, 1, 1, 1, false},
      {13, 4, 5, 3, 1, 2, false},
      {14, 13, 3, 2, 1, 0, true},
      {9, 10, 2, 2, 1, 0, true},
      {6, 7, 1, 3, 1, 0, false},
      // The row sweep: SqueezeNet's ceil-mode pool, output widths of 16, 17 and 33 (a row's
      // last vector full, one past, a block of 4 plus one), a tiny ceil-mode plane whose rows
      // spill, and a 5×5 window at stride 1 (its taps counted at run time).
      {111, 111, 3, 2, 1, 0, true},
      {17, 34, 3, 2, 1, 1, false},
      {4, 16, 3, 1, 1, 1, false},
      {20, 66, 3, 2, 1, 1, false},
      {3, 5, 2, 2, 1, 0, true},
      {10, 10, 5, 1, 1, 2, false},
      // Stride 2 with a 5×5 window (its taps counted at run time) and a 4×4 one.
      {13, 40, 5, 2, 1, 2, false},
      {9, 37, 4, 2, 1, 1, false}};
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
    x.back() = std::numeric_limits<float>::quiet_NaN();  // in the last (ceil-mode) window
    const size_t outputs = static_cast<size_t>(planes * g.out_h * g.out_w);
    // Sentinels after the last plane: no vector may be stored past the output.
    std::vector<float> fast(outputs + 16, 5.0f), ref(outputs);
    max_pool_planes(x.data(), planes, g, fast.data(), t.ceil ? &ctx : nullptr);
    max_pool_planes_reference(x.data(), planes, g, ref.data());
    for (size_t i = outputs; i < fast.size(); ++i) REQUIRE(fast[i] == 5.0f);
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
      // A recorded forward's winners: the same output, and the same gradient from them alone.
      std::vector<float> pooled(outputs + 16, 5.0f), plain(outputs);
      std::vector<int64_t> winners(outputs, -7);
      max_pool_planes(in->data(), planes, g, plain.data(), nullptr);
      max_pool_planes_with_winners(in->data(), planes, g, pooled.data(), winners.data(),
                                   t.ceil ? &ctx : nullptr);
      for (size_t i = outputs; i < pooled.size(); ++i) REQUIRE(pooled[i] == 5.0f);
      std::vector<float> dx_won(x.size(), std::nanf(""));
      max_pool_backward_from_winners(winners.data(), dy.data(), planes, g, dx_won.data(), &ctx);
      for (size_t i = 0; i < outputs; ++i) {
        INFO("max pool with winners " << t.h << "x" << t.w << " k" << t.k << " at " << i);
        REQUIRE(std::memcmp(&pooled[i], &plain[i], sizeof(float)) == 0);
        REQUIRE(winners[i] >= -1);
      }
      for (size_t i = 0; i < dx_ref.size(); ++i) {
        INFO("max pool gradient from winners " << t.h << "x" << t.w << " k" << t.k << " at " << i);
        REQUIRE(dx_won[i] == dx_ref[i]);
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

TEST_CASE("the sigmoid and SiLU epilogues are accurate and zero below their cut-offs",
          "[kernels]") {
  // Whichever loop this CPU runs (AVX2 + FMA with a refined reciprocal, or the portable one);
  // 1001 elements: vectors of 32 and 8 and a masked tail.
  const int64_t n = 1001;
  const float bias = 0.25f;
  std::vector<float> in(n);
  for (int64_t i = 0; i < n; ++i) in[i] = -100.0f + 200.0f * static_cast<float>(i) / (n - 1);
  for (const Activation act : {Activation::sigmoid(), Activation::silu()}) {
    std::vector<float> out = in;
    apply_bias_activation(out.data(), n, bias, act);
    const bool silu = act.kind == Activation::Kind::silu;
    for (int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(in[i] + bias);
      INFO(act.name() << " at v = " << v);
      if (v < (silu ? -80.0 : -87.0)) {
        REQUIRE(out[i] == 0.0f);
        continue;
      }
      const double s = 1.0 / (1.0 + std::exp(-v)), want = silu ? v * s : s;
      REQUIRE(std::fabs(out[i] - want) <= 5e-7 * std::fabs(want) + 1e-38);
    }
  }
}

TEST_CASE("fused Conv + Relu / Clip / SiLU equals the unfused graph", "[kernels][engine]") {
  // conv1 → Relu, conv2 → Clip(0, 6), conv3 → SiLU (Sigmoid + Mul), conv4 → depthwise, then a
  // residual Add (conv4 + conv3's SiLU) → Relu, and a broadcast Add (a per-channel offset) →
  // Relu; conv2's output is also captured in one run, which must turn its fusion off.
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
  b.initializer("offset", test::random_tensor({1, 8, 1, 1}, 7, 0.5f));
  b.node("Add", {"c4", "r3"}, {"a4"});
  b.node("Relu", {"a4"}, {"r4"});
  b.node("Add", {"r4", "offset"}, {"a5"});
  b.node("Relu", {"a5"}, {"y"});
  b.output("y");
  Engine e = test::load(b);
  const Tensor x = test::random_tensor({1, 3, 9, 11}, 6);
  const auto plan = e.plan({x.shape()}, {DType::f32});
  int fused = 0, adds = 0;
  for (size_t s = 0; s < plan->steps.size(); ++s) {
    if (plan->fusions[s].activation.none()) continue;
    ++fused;
    adds += e.graph().nodes[plan->steps[s]].op_type == "Add" ? 1 : 0;
  }
  REQUIRE(fused == 5);  // conv1, conv2, conv3 and both Adds (conv4 feeds the Add)
  REQUIRE(adds == 2);
  std::map<std::string, double> ran;  // which op types ran
  ForwardOptions timed;
  timed.op_times = &ran;
  e.forward({x}, timed);
  CHECK(ran.count("Relu") == 0);

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
