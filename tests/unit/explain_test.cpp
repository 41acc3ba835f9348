// The explanation methods on cases whose answers are known (Samek et al. 2019, chs. 9, 13, 14
// and 22): each test would fail if its method were wrong.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/rng.h"
#include "core/thread_pool.h"
#include "explain/host_tensor_math.h"
#include "explain/lrp_propagation.h"
#include "explain/lrp_rules.h"
#include "explain/method.h"
#include "onnx_builder.h"
#include "test_models.h"

using heatlens::Attribution;
using heatlens::Engine;
using heatlens::ExplainModel;
using heatlens::ModelCard;
using heatlens::Progress;
using heatlens::TargetSpec;
using heatlens::Tensor;
using heatlens::test::load;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;
using heatlens::test::run;

namespace {

// A bias-free ReLU CNN with a free batch dimension: Conv → ReLU → MaxPool → Conv → ReLU →
// Flatten → Gemm (3 classes).
OnnxBuilder bias_free_cnn(unsigned seed) {
  OnnxBuilder b(13);
  b.input("x", {-1, 2, 6, 6});
  b.initializer("w1", random_tensor({4, 2, 3, 3}, seed, 0.5f));
  b.initializer("w2", random_tensor({3, 4, 3, 3}, seed + 1, 0.5f));
  b.initializer("fc", random_tensor({3, 27}, seed + 2, 0.5f));
  b.node("Conv", {"x", "w1"}, {"c1"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("MaxPool", {"r1"}, {"p1"},
         {OnnxBuilder::ints("kernel_shape", {2, 2}), OnnxBuilder::ints("strides", {2, 2})});
  b.node("Conv", {"p1", "w2"}, {"c2"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv2");
  b.node("Relu", {"c2"}, {"r2"});
  b.node("Flatten", {"r2"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)}, "fc");
  b.output("logits");
  return b;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double d = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    d = std::max(d, static_cast<double>(std::fabs(a.f32()[i] - b.f32()[i])));
  return d;
}

double max_abs(const Tensor& a) {
  double d = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    d = std::max(d, static_cast<double>(std::fabs(a.f32()[i])));
  return d;
}

}  // namespace

TEST_CASE("IG and Gradient×Input on y = x1 + √x2 at (4, 4) (book ch. 14)", "[explain]") {
  // Declared with a fixed batch of 1: the batched methods then run example by example.
  OnnxBuilder b(13);
  b.input("x", {1, 2});
  b.initializer("split", Tensor::from_i64({2}, {1, 1}));
  b.node("Split", {"x", "split"}, {"x1", "x2"}, {OnnxBuilder::int_attr("axis", 1)});
  b.node("Sqrt", {"x2"}, {"s"});
  b.node("Add", {"x1", "s"}, {"y"});
  b.output("y");
  Engine e = load(b);
  Tensor x = Tensor::from_f32({1, 2}, {4.0f, 4.0f});
  Attribution gxi = run(e, x, "gradient-x-input");
  REQUIRE(gxi.relevance.f32()[0] == Approx(4.0f));
  REQUIRE(gxi.relevance.f32()[1] == Approx(1.0f));
  // √ is singular at the zero baseline; Gauss–Legendre never evaluates α = 0 and converges.
  Attribution ig = run(e, x, "integrated-gradients", {{"steps", "512"}});
  REQUIRE(ig.relevance.f32()[0] == Approx(4.0f).epsilon(1e-5));
  REQUIRE(ig.relevance.f32()[1] == Approx(2.0f).epsilon(5e-3));
  REQUIRE(std::fabs(*ig.delta) < 1e-2);  // completeness: Σ R = f(x) − f(0) = 6
  // The rules that avoid the singular end point converge to the same answer.
  for (const char* rule : {"riemann-middle", "riemann-right"}) {
    Attribution r = run(e, x, "integrated-gradients", {{"steps", "2000"}, {"rule", rule}});
    INFO(rule);
    REQUIRE(r.relevance.f32()[1] == Approx(2.0f).epsilon(5e-2));
  }
}

TEST_CASE("LRP is continuous where Gradient×Input jumps, on max(x1, x2) (book ch. 9/13)",
          "[explain][lrp]") {
  // max(x1, x2) = ½·ReLU(x1 − x2) + ½·ReLU(x2 − x1) + ½·ReLU(x1 + x2) for x ≥ 0.
  OnnxBuilder b(13);
  b.input("x", {1, 2});
  b.initializer("w1", Tensor::from_f32({3, 2}, {1, -1, -1, 1, 1, 1}));
  b.initializer("w2", Tensor::from_f32({1, 3}, {0.5f, 0.5f, 0.5f}));
  b.node("Gemm", {"x", "w1"}, {"h"}, {OnnxBuilder::int_attr("transB", 1)}, "hidden");
  b.node("Relu", {"h"}, {"a"});
  b.node("Gemm", {"a", "w2"}, {"y"}, {OnnxBuilder::int_attr("transB", 1)}, "out");
  b.output("y");
  Engine e = load(b);
  const float d = 1e-3f;
  Tensor left = Tensor::from_f32({1, 2}, {1.0f + d, 1.0f});
  Tensor right = Tensor::from_f32({1, 2}, {1.0f, 1.0f + d});
  Attribution gl = run(e, left, "gradient-x-input"), gr = run(e, right, "gradient-x-input");
  REQUIRE(max_abs_diff(gl.relevance, gr.relevance) > 0.9);  // jumps from (x1, 0) to (0, x2)
  Attribution ll = run(e, left, "lrp", {{"rule", "zplus"}}),
              lr = run(e, right, "lrp", {{"rule", "zplus"}});
  REQUIRE(max_abs_diff(ll.relevance, lr.relevance) < 3 * d);
  // R1 = ½x1 + ½ReLU(x1 − x2), R2 = ½x2 + ½ReLU(x2 − x1).
  REQUIRE(ll.relevance.f32()[0] == Approx(0.5 * (1 + d) + 0.5 * d).margin(1e-5));
  REQUIRE(ll.relevance.f32()[1] == Approx(0.5).margin(1e-5));
}

TEST_CASE("ε-LRP with ε → 0 equals Gradient×Input on bias-free ReLU networks", "[explain][lrp]") {
  Engine e = load(bias_free_cnn(11));
  Tensor x = random_tensor({1, 2, 6, 6}, 5);
  Attribution lrp = run(e, x, "lrp", {{"rule", "epsilon"}, {"epsilon", "1e-9"}});
  Attribution gxi = run(e, x, "gradient-x-input");
  REQUIRE(max_abs_diff(lrp.relevance, gxi.relevance) <= 1e-4 * max_abs(gxi.relevance));
}

TEST_CASE("LRP-0 conserves relevance layer by layer on bias-free networks", "[explain][lrp]") {
  Engine e = load(bias_free_cnn(21));
  Tensor x = random_tensor({1, 2, 6, 6}, 6);
  Attribution a = run(e, x, "lrp", {{"rule", "0"}});
  REQUIRE(a.layer_sums.size() == 3);
  const double logit = a.logits[a.target.class_index];
  for (const auto& [layer, sum] : a.layer_sums) {
    INFO(layer);
    REQUIRE(sum == Approx(logit).epsilon(1e-4));
  }
  REQUIRE(std::fabs(*a.delta) <= 1e-4 * std::fabs(logit));
}

TEST_CASE("LRP makes its rule-modified weights once per model and reuses them", "[explain][lrp]") {
  Engine e = load(bias_free_cnn(17));
  ExplainModel m(e, ModelCard{});
  Progress progress;
  const Tensor x = random_tensor({1, 2, 6, 6}, 18);
  for (const char* rule : {"gamma", "alpha-beta", "zplus"}) {
    const std::map<std::string, std::string> p = {{"rule", rule}};
    const Attribution first = heatlens::explain(m, x, "lrp", TargetSpec{}, p, progress);
    const size_t made = m.canonized_engine().derived_constant_count();
    REQUIRE(made > 0);
    // Another input: the same weights serve it, nothing new is made, and the result equals a
    // fresh model's (which derives everything anew).
    const Tensor y = random_tensor({1, 2, 6, 6}, 19);
    const Attribution again = heatlens::explain(m, y, "lrp", TargetSpec{}, p, progress);
    INFO(rule);
    CHECK(m.canonized_engine().derived_constant_count() == made);
    CHECK(max_abs_diff(again.relevance, run(e, y, "lrp", p).relevance) == 0.0);
    CHECK(max_abs_diff(first.relevance, run(e, x, "lrp", p).relevance) == 0.0);
  }
  // Rules with other parameters derive other weights, however close the parameters are.
  for (const char* gamma : {"1e-7", "2e-7"}) {
    const std::map<std::string, std::string> p = {{"rule", "gamma"}, {"gamma", gamma}};
    const Attribution cached = heatlens::explain(m, x, "lrp", TargetSpec{}, p, progress);
    INFO("gamma " << gamma);
    CHECK(max_abs_diff(cached.relevance, run(e, x, "lrp", p).relevance) == 0.0);
  }
}

TEST_CASE("LRP knows from the graph which layer inputs have no negative element",
          "[explain][lrp]") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 6, 6});
  b.initializer("w", random_tensor({3, 2, 3, 3}, 41));
  const auto scalar = [](float v) {
    Tensor t(heatlens::Shape{});
    t.f32()[0] = v;
    return t;
  };
  b.initializer("zero", scalar(0));
  b.initializer("six", scalar(6));
  b.initializer("minus_one", scalar(-1));
  b.initializer("one", scalar(1));
  b.node("Conv", {"x", "w"}, {"c"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c"}, {"r"});
  b.node("Clip", {"c", "zero", "six"}, {"c6"});
  b.node("Clip", {"c", "minus_one", "one"}, {"c_signed"});
  b.node("Sigmoid", {"c"}, {"s"});
  b.node("MaxPool", {"r"}, {"p"}, {OnnxBuilder::ints("kernel_shape", {2, 2})});
  b.node("Flatten", {"p"}, {"flat"});
  b.node("Add", {"r", "c6"}, {"sum_nonneg"});
  b.node("Add", {"r", "c"}, {"sum_signed"});
  b.node("Mul", {"s", "c6"}, {"product_nonneg"});
  b.node("Mul", {"s", "c_signed"}, {"product_signed"});
  b.node("Concat", {"r", "s"}, {"cat_nonneg"}, {OnnxBuilder::int_attr("axis", 1)});
  b.node("Concat", {"r", "c"}, {"cat_signed"}, {OnnxBuilder::int_attr("axis", 1)});
  b.node("MaxPool", {"c"}, {"p_signed"}, {OnnxBuilder::ints("kernel_shape", {2, 2})});
  const std::vector<std::pair<std::string, bool>> expected = {{"x", false},
                                                              {"c", false},
                                                              {"r", true},
                                                              {"c6", true},
                                                              {"c_signed", false},
                                                              {"s", true},
                                                              {"p", true},
                                                              {"flat", true},
                                                              {"sum_nonneg", true},
                                                              {"sum_signed", false},
                                                              {"product_nonneg", true},
                                                              {"product_signed", false},
                                                              {"cat_nonneg", true},
                                                              {"cat_signed", false},
                                                              {"p_signed", false}};
  for (const auto& [name, nonneg] : expected) {
    if (name != "x") b.output(name);
  }
  Engine e = load(b);
  const auto plan = e.plan({{1, 2, 6, 6}}, {heatlens::DType::f32});
  const std::vector<bool> known = heatlens::nonnegative_values(e.graph(), *plan);
  for (const auto& [name, nonneg] : expected) {
    INFO(name);
    CHECK(known[e.graph().require_value(name)] == nonneg);
  }
}

TEST_CASE("the Norm rule at a residual sum: shares in one pass, as ratio then product",
          "[explain][lrp]") {
  // Odd length: the pass's blocks and the threads' chunks end mid-tensor.
  const heatlens::Shape shape = {1, 7, 91, 63};
  const Tensor r = random_tensor(shape, 51), x1 = random_tensor(shape, 52),
               x2 = random_tensor(shape, 53);
  Tensor z = heatlens::add(x1, x2, heatlens::ExecContext{});
  for (int64_t i = 0; i < z.numel(); i += 7) z.f32()[i] = (i / 7) % 3 == 0 ? 0.0f : 1e-7f;
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext ctx;
  ctx.pool = &pool;
  const heatlens::Tensors shares = heatlens::sum_shares(r, z, 1e-6f, {x1, x2, x1}, ctx);
  const Tensor s = heatlens::stabilized_ratio(r, z, 1e-6);
  REQUIRE(shares.size() == 3);
  CHECK(max_abs_diff(shares[0], heatlens::multiply(x1, s, ctx)) == 0.0);
  CHECK(max_abs_diff(shares[1], heatlens::multiply(x2, s, ctx)) == 0.0);
  CHECK(max_abs_diff(shares[2], shares[0]) == 0.0);
  // A sum of two that the forward did not keep is remade as the Add makes it: bit for bit.
  const Tensor made = heatlens::add(x1, x2, heatlens::ExecContext{});
  const heatlens::Tensors kept = heatlens::sum_shares(r, made, 1e-6f, {x1, x2}, ctx);
  const heatlens::Tensors remade = heatlens::sum_shares(r, Tensor(), 1e-6f, {x1, x2}, ctx);
  REQUIRE(remade.size() == 2);
  CHECK(max_abs_diff(remade[0], kept[0]) == 0.0);
  CHECK(max_abs_diff(remade[1], kept[1]) == 0.0);
  REQUIRE_THROWS_WITH(heatlens::sum_shares(r, Tensor(), 1e-6f, {x1, x2, x1}, ctx),
                      Catch::Contains("was not kept"));

  // The pass takes it at an Add whose dynamic inputs have the output's shape only; LRP's
  // forward keeps the sum only where it has another input than two such values.
  OnnxBuilder b(13);
  b.input("x", {1, 2, 4, 4});
  b.input("g", {1, 2, 1, 1});
  b.node("Add", {"x", "x"}, {"same"});
  b.node("Add", {"x", "g"}, {"broadcast"});
  b.node("Mul", {"x", "x"}, {"product"});
  for (const char* out : {"same", "broadcast", "product"}) b.output(out);
  Engine e = load(b);
  const auto plan =
      e.plan({{1, 2, 4, 4}, {1, 2, 1, 1}}, {heatlens::DType::f32, heatlens::DType::f32});
  const std::vector<bool> dynamic = {true, true};
  CHECK(heatlens::sums_same_shapes(e.graph().nodes[0], *plan, dynamic));
  CHECK_FALSE(heatlens::sums_same_shapes(e.graph().nodes[1], *plan, dynamic));
  CHECK(heatlens::sums_same_shapes(e.graph().nodes[1], *plan, {true, false}));
  CHECK_FALSE(heatlens::sums_same_shapes(e.graph().nodes[2], *plan, dynamic));
  CHECK(heatlens::sums_two_values(e.graph().nodes[0], *plan, dynamic));
  CHECK_FALSE(heatlens::sums_two_values(e.graph().nodes[0], *plan, {true, false}));
  CHECK_FALSE(heatlens::sums_two_values(e.graph().nodes[1], *plan, dynamic));
}

TEST_CASE("LRP's layer sum of the first layer is the sum of the input relevance, every rule",
          "[explain][lrp]") {
  // An input of two of sum_elements' chunks, run on two threads.
  OnnxBuilder b(13);
  b.input("x", {1, 3, 80, 72});
  b.initializer("w1", random_tensor({4, 3, 3, 3}, 61, 0.5f));
  b.initializer("b1", random_tensor({4}, 62, 0.1f));
  b.initializer("w2", random_tensor({2, 4, 3, 3}, 63, 0.5f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"}, {OnnxBuilder::ints("strides", {4, 4})}, "conv2");
  b.node("GlobalAveragePool", {"c2"}, {"g"});
  b.node("Flatten", {"g"}, {"logits"});
  b.output("logits");
  const std::vector<uint8_t> bytes = b.bytes();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext ctx;
  ctx.pool = &pool;
  const Tensor x = random_tensor({1, 3, 80, 72}, 64);
  // The rules' last steps differ: x·Wᵀs (ε), x⁺·a + x⁻·c (z⁺ on this signed input), sums, Wᵀs.
  for (const char* rule : {"epsilon", "zplus", "alpha-beta", "gamma", "flat"}) {
    INFO(rule);
    const Attribution a = run(e, x, "lrp", {{"rule", rule}});
    REQUIRE(a.layer_sums.size() == 2);
    CHECK(a.layer_sums.front().first == "conv1");
    CHECK(a.layer_sums.front().second == heatlens::sum_elements(a.relevance, ctx));
  }
}

TEST_CASE(
    "a convolution's ratio and residual epilogues equal their passes apart, every kernel path",
    "[explain][lrp]") {
  struct Case {
    const char* what;
    heatlens::Shape x, w;
    int64_t group, stride, dilation, pad;
    bool winograd;
  };
  const Case cases[] = {
      {"pointwise", {1, 5, 9, 7}, {6, 5, 1, 1}, 1, 1, 1, 0, false},
      {"phases, straight out", {1, 3, 36, 40}, {4, 3, 3, 3}, 1, 1, 1, 1, false},
      {"phases, wide rows", {1, 3, 9, 10}, {4, 3, 3, 3}, 1, 2, 1, 1, false},
      {"runs", {1, 3, 17, 15}, {4, 3, 3, 3}, 1, 1, 3, 2, false},
      {"a batch in one GEMM", {2, 3, 9, 10}, {4, 3, 3, 3}, 1, 1, 1, 1, false},
      {"Winograd", {1, 32, 14, 13}, {32, 32, 3, 3}, 1, 1, 1, 1, true},
      {"depthwise, channels in vectors", {1, 17, 7, 7}, {17, 1, 3, 3}, 17, 1, 1, 1, false},
      {"depthwise, rows", {1, 5, 20, 21}, {5, 1, 3, 3}, 5, 1, 1, 1, false},
      {"depthwise, split rows", {1, 5, 20, 21}, {5, 1, 3, 3}, 5, 2, 1, 1, false},
      {"depthwise, dilated", {1, 5, 20, 21}, {5, 1, 3, 3}, 5, 1, 2, 2, false}};
  heatlens::ThreadPool pool(2);
  for (const Case& c : cases) {
    INFO(c.what);
    Engine e =
        load(heatlens::test::conv_model(c.x, random_tensor(c.w, 71), random_tensor({c.w[0]}, 72),
                                        c.group, c.stride, c.dilation, c.pad));
    const heatlens::Node& conv = e.graph().nodes[0];
    heatlens::ExecContext ctx;
    ctx.pool = &pool;
    ctx.transformed_weights = c.winograd;
    const heatlens::Tensors in = {random_tensor(c.x, 73), random_tensor(c.w, 71),
                                  random_tensor({c.w[0]}, 72)};
    const Tensor z = conv.op->forward(in, ctx)[0];
    const Tensor r = random_tensor(z.shape(), 74);
    // A zero input with no bias and ε = 0: every denominator is 0, and the ratio 0.
    heatlens::Tensors zero = in;
    zero[0] = Tensor(c.x);
    zero[2] = Tensor(zero[2].shape());
    for (const auto& [inputs, eps] : {std::make_pair(in, 0.25f), std::make_pair(zero, 0.0f)}) {
      const Tensor want = heatlens::stabilized_ratio(r, conv.op->forward(inputs, ctx)[0], eps, ctx);
      const Tensor got =
          conv.op->forward_fused(inputs, ctx, heatlens::Activation::ratio(r.f32(), eps))[0];
      REQUIRE(got.shape() == want.shape());
      CHECK(max_abs_diff(got, want) == 0.0);
    }
    // The residual epilogue (engine/fusion.h): conv + a, then the activation, as the Add and
    // the activation apart round them.
    const Tensor a = random_tensor(z.shape(), 75);
    for (heatlens::Activation act : {heatlens::Activation{}, heatlens::Activation::relu(),
                                     heatlens::Activation::clip(0.0f, 0.5f)}) {
      INFO("residual, then " << act.name());
      Tensor want = heatlens::add(z, a, ctx);
      heatlens::apply_bias_activation(want.f32(), want.numel(), 0.0f, act);
      act.addend = a.f32();
      const Tensor got = conv.op->forward_fused(in, ctx, act)[0];
      REQUIRE(got.shape() == want.shape());
      CHECK(max_abs_diff(got, want) == 0.0);
    }
  }
}

TEST_CASE("LRP-γ approaches α1β0 (z+) as γ → ∞", "[explain][lrp]") {
  Engine e = load(bias_free_cnn(31));
  Tensor x = random_tensor({1, 2, 6, 6}, 7, 1.0f, true);
  Attribution zplus = run(e, x, "lrp", {{"rule", "zplus"}});
  Attribution ab = run(e, x, "lrp", {{"rule", "alpha-beta"}, {"alpha", "1"}, {"beta", "0"}});
  REQUIRE(max_abs_diff(zplus.relevance, ab.relevance) <= 1e-5 * max_abs(ab.relevance));
  Attribution small = run(e, x, "lrp", {{"rule", "gamma"}, {"gamma", "0.1"}});
  Attribution huge = run(e, x, "lrp", {{"rule", "gamma"}, {"gamma", "1e6"}});
  const double far = max_abs_diff(small.relevance, ab.relevance);
  const double near = max_abs_diff(huge.relevance, ab.relevance);
  REQUIRE(near <= 1e-4 * max_abs(ab.relevance));
  REQUIRE(far > 100 * near);
}

TEST_CASE(
    "DeepLIFT with a zero baseline equals ε-LRP on bias-free ReLU networks (book ch. 9, Prop. 3)",
    "[explain]") {
  Engine e = load(bias_free_cnn(41));
  Tensor x = random_tensor({1, 2, 6, 6}, 8);
  Attribution dl = run(e, x, "deeplift", {{"baseline", "zero"}});
  Attribution lrp = run(e, x, "lrp", {{"rule", "epsilon"}, {"epsilon", "1e-9"}});
  REQUIRE(max_abs_diff(dl.relevance, lrp.relevance) <= 1e-4 * max_abs(lrp.relevance));
  REQUIRE(std::fabs(*dl.delta) <= 1e-4);  // f(0) = 0, so Σ R = f(x)
}

TEST_CASE("DeepLIFT's rescale rule also holds at Sigmoid and Tanh, whose gradients read the output",
          "[explain]") {
  // Summation-to-delta (Shrikumar et al. 2017) holds exactly for the rescale rule on a chain
  // of dense layers and element-wise nonlinearities; the plain gradient at the nonlinearities
  // would miss it by far.
  OnnxBuilder b(13);
  b.input("x", {1, 6});
  b.initializer("w1", random_tensor({5, 6}, 61, 1.5f));
  b.initializer("b1", random_tensor({5}, 62, 0.5f));
  b.initializer("w2", random_tensor({4, 5}, 63, 1.5f));
  b.initializer("w3", random_tensor({3, 4}, 64, 1.5f));
  b.node("Gemm", {"x", "w1", "b1"}, {"h1"}, {OnnxBuilder::int_attr("transB", 1)});
  b.node("Sigmoid", {"h1"}, {"s1"});
  b.node("Gemm", {"s1", "w2"}, {"h2"}, {OnnxBuilder::int_attr("transB", 1)});
  b.node("Tanh", {"h2"}, {"t2"});
  b.node("Gemm", {"t2", "w3"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)});
  b.output("logits");
  Engine e = load(b);
  Tensor x = random_tensor({1, 6}, 65, 2.0f);
  Attribution dl = run(e, x, "deeplift", {{"baseline", "zero"}});
  REQUIRE(dl.delta);
  REQUIRE(std::fabs(*dl.delta) <= 1e-4);
}

TEST_CASE("input-shift invariance: the gradient is, Gradient×Input is not (book ch. 14)",
          "[explain]") {
  // Model A(x) and its mean-shifted twin B(x') = A(x' + c), whose first-layer bias absorbs W·c.
  Tensor w1 = random_tensor({5, 4}, 51), w2 = random_tensor({3, 5}, 52),
         b1 = random_tensor({5}, 53);
  Tensor c = Tensor::from_f32({4}, {0.5f, -1.0f, 2.0f, 0.25f});
  Tensor b1_shifted = b1.clone();
  for (int j = 0; j < 5; ++j) {
    for (int i = 0; i < 4; ++i) b1_shifted.f32()[j] += w1.f32()[j * 4 + i] * c.f32()[i];
  }
  auto model = [&](const Tensor& bias) {
    OnnxBuilder b(13);
    b.input("x", {1, 4});
    b.initializer("w1", w1);
    b.initializer("b1", bias);
    b.initializer("w2", w2);
    b.node("Gemm", {"x", "w1", "b1"}, {"h"}, {OnnxBuilder::int_attr("transB", 1)});
    b.node("Relu", {"h"}, {"a"});
    b.node("Gemm", {"a", "w2"}, {"y"}, {OnnxBuilder::int_attr("transB", 1)});
    b.output("y");
    return load(b);
  };
  Engine a = model(b1), shifted = model(b1_shifted);
  Tensor x = Tensor::from_f32({1, 4}, {1.0f, 0.3f, -0.7f, 2.0f});
  Tensor x_shifted(x.shape());
  for (int i = 0; i < 4; ++i) x_shifted.f32()[i] = x.f32()[i] - c.f32()[i];
  Attribution ga = run(a, x, "gradient", {}, 1), gb = run(shifted, x_shifted, "gradient", {}, 1);
  for (int k = 0; k < 3; ++k) REQUIRE(ga.logits[k] == Approx(gb.logits[k]).epsilon(1e-5));
  REQUIRE(max_abs_diff(ga.relevance, gb.relevance) <= 1e-6);
  Attribution xa = run(a, x, "gradient-x-input", {}, 1),
              xb = run(shifted, x_shifted, "gradient-x-input", {}, 1);
  REQUIRE(max_abs_diff(xa.relevance, xb.relevance) > 0.1);
}

TEST_CASE("noise tunnel follows its definition with a fixed seed", "[explain]") {
  Engine e = load(bias_free_cnn(61));
  Tensor x = random_tensor({1, 2, 6, 6}, 9);
  Attribution sg = run(e, x, "smoothgrad",
                       {{"samples", "8"}, {"stdev", "0.2"}, {"seed", "3"}, {"batch-size", "3"}});
  Attribution again = run(e, x, "smoothgrad",
                          {{"samples", "8"}, {"stdev", "0.2"}, {"seed", "3"}, {"batch-size", "8"}});
  REQUIRE(max_abs_diff(sg.relevance, again.relevance) <= 1e-6);  // batching does not change it
  // Recompute the definition: mean of gradients at x + N(0, (0.2·range)²) with the same stream.
  heatlens::Rng rng(3);
  float lo = x.f32()[0], hi = x.f32()[0];
  for (int64_t i = 0; i < x.numel(); ++i)
    lo = std::min(lo, x.f32()[i]), hi = std::max(hi, x.f32()[i]);
  Tensor mean(x.shape()), sq(x.shape());
  std::vector<Tensor> grads;
  for (int k = 0; k < 8; ++k) {
    Tensor q(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i)
      q.f32()[i] = static_cast<float>(x.f32()[i] + 0.2 * (hi - lo) * rng.normal());
    grads.push_back(run(e, q, "gradient", {}, sg.target.class_index).relevance);
  }
  for (const Tensor& g : grads) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      mean.f32()[i] += g.f32()[i] / 8;
      sq.f32()[i] += g.f32()[i] * g.f32()[i] / 8;
    }
  }
  REQUIRE(max_abs_diff(sg.relevance, mean) <= 1e-5 * max_abs(mean));
  Attribution var = run(e, x, "vargrad", {{"samples", "8"}, {"stdev", "0.2"}, {"seed", "3"}});
  for (int64_t i = 0; i < x.numel(); ++i) {
    REQUIRE(var.relevance.f32()[i] ==
            Approx(sq.f32()[i] - mean.f32()[i] * mean.f32()[i]).margin(1e-5));
  }
  Attribution sq2 =
      run(e, x, "smoothgrad-square", {{"samples", "8"}, {"stdev", "0.2"}, {"seed", "3"}});
  REQUIRE(max_abs_diff(sq2.relevance, sq) <= 1e-5 * max_abs(sq));
}

TEST_CASE("parameters are validated against the method's schema", "[explain]") {
  Engine e = load(bias_free_cnn(71));
  Tensor x = random_tensor({1, 2, 6, 6}, 10);
  REQUIRE_THROWS_WITH(run(e, x, "integrated-gradients", {{"stepz", "3"}}),
                      Catch::Contains("unknown parameter 'stepz'"));
  REQUIRE_THROWS_WITH(run(e, x, "integrated-gradients", {{"steps", "0"}}),
                      Catch::Contains("between 1 and 4096"));
  REQUIRE_THROWS_WITH(run(e, x, "lrp", {{"composite", "fancy"}}),
                      Catch::Contains("must be one of"));
  REQUIRE_THROWS_WITH(run(e, x, "lrp", {{"rule", "alpha-beta"}, {"alpha", "3"}, {"beta", "1"}}),
                      Catch::Contains("alpha − beta = 1"));
  REQUIRE_THROWS_WITH(run(e, x, "lrp", {{"node:nope", "flat"}}), Catch::Contains("names no node"));
  REQUIRE_THROWS_WITH(run(e, x, "no-such-method"),
                      Catch::Contains("unknown method 'no-such-method'"));
  REQUIRE_THROWS_WITH(run(e, x, "gradient", {}, 7), Catch::Contains("out of range"));
}

TEST_CASE("Grad-CAM picks the last spatial layer and matches its definition", "[explain]") {
  Engine e = load(bias_free_cnn(81));
  Tensor x = random_tensor({1, 2, 6, 6}, 11);
  Attribution a = run(e, x, "grad-cam");
  REQUIRE(a.notes.at("layer") == "r2");
  REQUIRE(a.layer_map.shape() == heatlens::Shape{1, 1, 3, 3});
  for (int64_t i = 0; i < a.layer_map.numel(); ++i) REQUIRE(a.layer_map.f32()[i] >= 0);
  // Channel sum of the relevance is the bilinearly upsampled map.
  Attribution b = run(e, x, "grad-cam", {{"layer", "r1"}});
  REQUIRE(b.layer_map.shape() == heatlens::Shape{1, 1, 6, 6});
  for (int64_t i = 0; i < 36; ++i) {
    REQUIRE(b.relevance.f32()[i] + b.relevance.f32()[36 + i] ==
            Approx(b.layer_map.f32()[i]).margin(1e-6));
  }
  REQUIRE_THROWS_WITH(run(e, x, "grad-cam", {{"layer", "logits"}}),
                      Catch::Contains("needs a [N, C, H, W] activation"));
}
