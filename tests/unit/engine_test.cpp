// Engine behaviour beyond single operators: PyTorch's shape arithmetic for a free batch
// dimension folds at plan time, gradients at named values, seeds per output, and batching.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "engine/engine.h"
#include "engine/output_head.h"
#include "media/npy.h"
#include "onnx_builder.h"

using heatlens::Engine;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::test::OnnxBuilder;

namespace {

// x → Conv → Relu → view(x.size(0), -1) (as PyTorch exports it) → Gemm → Softmax.
std::vector<uint8_t> pytorch_style_model() {
  OnnxBuilder b(13);
  b.input("x", {-1, 2, 4, 4});
  std::vector<float> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<float>(i));
  b.initializer("w", Tensor::from_f32({3, 2, 3, 3}, w));
  std::vector<float> fc(5 * 48);
  for (size_t i = 0; i < fc.size(); ++i) fc[i] = std::cos(static_cast<float>(i)) * 0.1f;
  b.initializer("fc", Tensor::from_f32({5, 48}, fc));
  b.initializer("zero", Tensor::from_i64({}, {0}));
  b.initializer("minus_one", Tensor::from_i64({1}, {-1}));
  b.node("Conv", {"x", "w"}, {"conv"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv");
  b.node("Relu", {"conv"}, {"act"}, {}, "relu");
  b.node("Shape", {"act"}, {"shape"});
  b.node("Gather", {"shape", "zero"}, {"batch"}, {OnnxBuilder::int_attr("axis", 0)});
  b.node("Unsqueeze", {"batch", "zero_axes"}, {"batch1"});
  b.initializer("zero_axes", Tensor::from_i64({1}, {0}));
  b.node("Concat", {"batch1", "minus_one"}, {"target"}, {OnnxBuilder::int_attr("axis", 0)});
  b.node("Reshape", {"act", "target"}, {"flat"});
  b.node("Gemm", {"flat", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)}, "fc");
  b.node("Softmax", {"logits"}, {"probs"}, {OnnxBuilder::int_attr("axis", 1)}, "softmax");
  b.output("probs");
  return b.bytes();
}

Tensor ramp(const Shape& s, float scale) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = std::sin(i * scale);
  return t;
}

}  // namespace

TEST_CASE("shape arithmetic folds for any batch size", "[engine]") {
  std::vector<uint8_t> bytes = pytorch_style_model();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  Tensor x1 = ramp({1, 2, 4, 4}, 0.3f);
  Tensor x3 = ramp({3, 2, 4, 4}, 0.3f);
  auto r1 = e.forward({x1});
  auto r3 = e.forward({x3});
  REQUIRE(r3.outputs[0].shape() == Shape{3, 5});
  // The first example of the batch gives the same result as running it alone.
  for (int c = 0; c < 5; ++c)
    REQUIRE(r3.outputs[0].f32()[c] == Approx(r1.outputs[0].f32()[c]).margin(1e-6));
  // Only the data nodes run; the shape chain was folded.
  auto plan = e.plan({{3, 2, 4, 4}}, {heatlens::DType::f32});
  REQUIRE(plan->steps.size() == 5);  // Conv, Relu, Reshape, Gemm, Softmax
}

TEST_CASE("a final softmax is recognised and logits are captured", "[engine]") {
  std::vector<uint8_t> bytes = pytorch_style_model();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  heatlens::OutputHead head = heatlens::find_output_head(e.graph());
  REQUIRE(head.final_activation == "Softmax");
  REQUIRE(head.logits == "logits");
  auto r = e.forward({ramp({2, 2, 4, 4}, 0.1f)}, {false, {"logits"}});
  Tensor p = heatlens::softmax_rows(r.captured.at("logits"));
  for (int64_t i = 0; i < p.numel(); ++i)
    REQUIRE(p.f32()[i] == Approx(r.outputs[0].f32()[i]).margin(1e-6));
}

TEST_CASE("gradients at named values follow the chain rule", "[engine]") {
  std::vector<uint8_t> bytes = pytorch_style_model();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  Tensor x = ramp({1, 2, 4, 4}, 0.7f);
  auto fwd = e.forward({x}, {true, {"act"}});
  Tensor seed({1, 5});
  seed.f32()[2] = 1.0f;
  auto g = e.vjp(fwd, {seed}, {"logits", "act"});
  // d probs[2] / d logits = p2·(δ − p)
  const float* p = fwd.outputs[0].f32();
  for (int c = 0; c < 5; ++c) {
    const float expected = p[2] * ((c == 2 ? 1.0f : 0.0f) - p[c]);
    REQUIRE(g.value_grads.at("logits").f32()[c] == Approx(expected).margin(1e-6));
  }
  // The gradient at the ReLU output is zero where its input was not positive... and the
  // input gradient matches the one from the captured activation: checked by finite differences
  // in op_gradient_test; here its shape.
  REQUIRE(g.value_grads.at("act").shape() == Shape{1, 3, 4, 4});
  REQUIRE(g.input_grads[0].shape() == x.shape());
  REQUIRE_THROWS_WITH(e.vjp(e.forward({x}), {seed}), Catch::Contains("record = true"));
}

TEST_CASE("npy files round-trip and malformed ones are refused", "[media]") {
  Tensor t = ramp({2, 3, 5}, 0.2f);
  std::vector<uint8_t> bytes = heatlens::encode_npy(t);
  REQUIRE(bytes.size() % 64 == t.nbytes() % 64);
  Tensor back = heatlens::parse_npy(bytes.data(), bytes.size());
  REQUIRE(back.shape() == t.shape());
  REQUIRE(back.to_f32_vector() == t.to_f32_vector());
  Tensor scalar = heatlens::parse_npy(heatlens::encode_npy(Tensor::scalar(2.5f)).data(),
                                      heatlens::encode_npy(Tensor::scalar(2.5f)).size());
  REQUIRE(scalar.rank() == 0);
  REQUIRE(scalar.f32()[0] == 2.5f);
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 4);
  REQUIRE_THROWS_WITH(heatlens::parse_npy(cut.data(), cut.size()), Catch::Contains("truncated"));
  std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'n', 'p', 'y', '!', '!', '!'};
  REQUIRE_THROWS_WITH(heatlens::parse_npy(junk.data(), junk.size()),
                      Catch::Contains("not a .npy file"));
}

TEST_CASE("a recorded forward keeps only what its backward reads", "[engine]") {
  // x → Conv → Clip → Conv → Flatten → Gemm. Clip's gradient reads its input (the first conv's
  // output); the convs' and Gemm's inputs serve only their weight gradients, never wanted for
  // constant weights, so the Clip output and the flattened features are not kept.
  OnnxBuilder b(13);
  b.input("x", {1, 2, 5, 5});
  b.initializer("w1", ramp({3, 2, 3, 3}, 0.3f));
  b.initializer("w2", ramp({4, 3, 3, 3}, 0.7f));
  b.initializer("fc", ramp({2, 100}, 0.11f));
  b.initializer("lo", Tensor::scalar(0.0f));
  b.initializer("hi", Tensor::scalar(0.5f));
  b.node("Conv", {"x", "w1"}, {"c1"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Clip", {"c1", "lo", "hi"}, {"a1"});
  b.node("Conv", {"a1", "w2"}, {"c2"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Flatten", {"c2"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)});
  b.output("logits");
  const std::vector<uint8_t> bytes = b.bytes();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size());
  heatlens::ForwardOptions options;
  options.record = true;
  const Tensor x = ramp({1, 2, 5, 5}, 0.05f);
  heatlens::ForwardResult f = e.forward({x}, options);
  const auto kept = [&](const char* name) {
    return f.tape->values[e.graph().require_value(name)].defined();
  };
  CHECK(kept("c1"));
  CHECK_FALSE(kept("a1"));
  CHECK_FALSE(kept("c2"));
  CHECK_FALSE(kept("f"));
  // The gradient is still right: against central differences of logit 1.
  Tensor seed({1, 2});
  seed.f32()[1] = 1;
  const Tensor g = e.vjp(f, {seed}).input_grads[0];
  for (int64_t i = 0; i < x.numel(); i += 7) {
    Tensor up = x.clone(), down = x.clone();
    up.f32()[i] += 1e-2f;
    down.f32()[i] -= 1e-2f;
    const double numeric =
        (e.forward({up}).outputs[0].f32()[1] - e.forward({down}).outputs[0].f32()[1]) / 2e-2;
    INFO("element " << i);
    CHECK(std::fabs(g.f32()[i] - numeric) <= 2e-3 * (1 + std::fabs(numeric)));
  }
  // keep_all (the inspectors) keeps every value.
  heatlens::ForwardOptions all = options;
  all.keep_all = true;
  CHECK(e.forward({x}, all).tape->values[e.graph().require_value("a1")].defined());
  // Chosen values (LRP's forward): exactly those are kept, and Clip, whose input is not among
  // them, fuses into the first conv, so its input is never computed; the logits are the same.
  heatlens::ForwardOptions chosen = options;
  chosen.keep_values.assign(e.graph().values.size(), false);
  chosen.keep_values[e.graph().require_value("a1")] = true;
  std::map<std::string, double> ran;  // milliseconds by operator type: which ops ran
  chosen.op_times = &ran;
  const heatlens::ForwardResult c = e.forward({x}, chosen);
  CHECK(ran.count("Conv") == 1);
  CHECK(ran.count("Clip") == 0);
  const auto chosen_kept = [&](const char* name) {
    return c.tape->values[e.graph().require_value(name)].defined();
  };
  CHECK(chosen_kept("a1"));
  CHECK_FALSE(chosen_kept("c1"));
  CHECK_FALSE(chosen_kept("c2"));
  const Tensor plain = e.forward({x}).outputs[0];
  for (int64_t i = 0; i < plain.numel(); ++i) CHECK(c.outputs[0].f32()[i] == plain.f32()[i]);
  chosen.op_times = nullptr;
  chosen.keep_values.pop_back();
  REQUIRE_THROWS_WITH(e.forward({x}, chosen), Catch::Contains("keep_values has"));
}

TEST_CASE("a recorded forward keeps max pooling's winners and its gradient reads them",
          "[engine]") {
  // x → MaxPool (3×3, stride 2, ceil mode) → Gemm; x holds ties (whole numbers).
  OnnxBuilder b(13);
  b.input("x", {1, 3, 10, 10});
  b.initializer("fc", ramp({2, 75}, 0.13f));
  b.node("MaxPool", {"x"}, {"p"},
         {OnnxBuilder::ints("kernel_shape", {3, 3}), OnnxBuilder::ints("strides", {2, 2}),
          OnnxBuilder::int_attr("ceil_mode", 1)});
  b.node("Flatten", {"p"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)});
  b.output("logits");
  const std::vector<uint8_t> bytes = b.bytes();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size());
  Tensor x = ramp({1, 3, 10, 10}, 0.37f);
  for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = std::round(3 * x.f32()[i]);
  heatlens::ForwardOptions options;
  options.record = true;
  const heatlens::ForwardResult f = e.forward({x}, options);
  const Tensor& winners = f.tape->saved[e.graph().require_value("p")];
  REQUIRE(winners.defined());
  CHECK(winners.dtype() == heatlens::DType::i64);
  CHECK(winners.shape() == Shape{1, 3, 5, 5});
  // The same pooled values as a forward-only run, and the same gradient as one found again from
  // x (the tape without its winners).
  const Tensor plain = e.forward({x}).outputs[0];
  for (int64_t i = 0; i < plain.numel(); ++i) CHECK(f.outputs[0].f32()[i] == plain.f32()[i]);
  Tensor seed({1, 2});
  seed.f32()[0] = 0.5f;
  seed.f32()[1] = -2.0f;
  const Tensor g = e.vjp(f, {seed}).input_grads[0];
  heatlens::ForwardResult bare = f;
  auto tape = std::make_shared<heatlens::Tape>(*f.tape);
  tape->saved.clear();
  bare.tape = tape;
  const Tensor again = e.vjp(bare, {seed}).input_grads[0];
  int64_t nonzero = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    CHECK(g.f32()[i] == again.f32()[i]);
    nonzero += g.f32()[i] != 0.0f;
  }
  CHECK(nonzero > 0);
}

TEST_CASE("a large Concat split over threads places every element", "[engine]") {
  // Inputs large enough for the pooled copy, with pieces cut inside one input's block (3·150·100
  // floats > 128 KiB) and, on axis 2, several blocks per input (outer = 3·5).
  for (int64_t axis : {1, 2}) {
    const Shape a_shape = axis == 1 ? Shape{3, 2, 150, 100} : Shape{3, 5, 70, 100};
    const Shape b_shape = axis == 1 ? Shape{3, 3, 150, 100} : Shape{3, 5, 80, 100};
    OnnxBuilder b(13);
    b.input("a", a_shape);
    b.input("b", b_shape);
    b.node("Concat", {"a", "b"}, {"y"}, {OnnxBuilder::int_attr("axis", axis)});
    b.output("y");
    const std::vector<uint8_t> bytes = b.bytes();
    Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
    const Tensor x = ramp(a_shape, 0.01f), z = ramp(b_shape, 0.02f);
    const Tensor y = e.forward({x, z}).outputs[0];
    const int64_t na = a_shape[axis], nb = b_shape[axis];
    const int64_t inner = axis == 1 ? 150 * 100 : 100;
    const int64_t outer = y.numel() / ((na + nb) * inner);
    REQUIRE(y.shape()[axis] == na + nb);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < na + nb; ++c) {
        for (int64_t i = 0; i < inner; i += 7) {
          const float want =
              c < na ? x.f32()[(o * na + c) * inner + i] : z.f32()[(o * nb + c - na) * inner + i];
          REQUIRE(y.f32()[(o * (na + nb) + c) * inner + i] == want);
        }
      }
    }
  }
}

TEST_CASE("SiLU as Mul(x, Sigmoid(x)) has the per-node gradient in one pass", "[engine]") {
  // Conv → SiLU (both operand orders) → Conv, and a SiLU whose sigmoid is also an output (not
  // fused). A hook that declines every node forces the per-node path to compare with.
  for (const bool sigmoid_first : {false, true}) {
    OnnxBuilder b(13);
    b.input("x", {2, 3, 9, 7});
    std::vector<float> w1(4 * 3 * 3 * 3), w2(5 * 4 * 3 * 3);
    for (size_t i = 0; i < w1.size(); ++i) w1[i] = std::sin(0.7f * static_cast<float>(i));
    for (size_t i = 0; i < w2.size(); ++i) w2[i] = std::cos(0.3f * static_cast<float>(i));
    b.initializer("w1", Tensor::from_f32({4, 3, 3, 3}, w1));
    b.initializer("w2", Tensor::from_f32({5, 4, 3, 3}, w2));
    b.node("Conv", {"x", "w1"}, {"pre"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv1");
    b.node("Sigmoid", {"pre"}, {"sig"});
    b.node("Mul",
           sigmoid_first ? std::vector<std::string>{"sig", "pre"}
                         : std::vector<std::string>{"pre", "sig"},
           {"act"});
    b.node("Conv", {"act", "w2"}, {"y"}, {}, "conv2");
    b.output("y");
    const std::vector<uint8_t> bytes = b.bytes();
    Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
    const Tensor x = ramp({2, 3, 9, 7}, 0.37f);
    auto fwd = e.forward({x}, {true});
    Tensor seed = ramp(fwd.outputs[0].shape(), 0.11f);
    const auto fused = e.vjp_from(fwd, {{"y", seed}}, {"pre"});
    const auto per_node = e.vjp_from(
        fwd, {{"y", seed}}, {"pre"},
        [](const heatlens::Node&, const heatlens::VjpArgs&, heatlens::Tensors&) { return false; });
    const Tensor& a = fused.input_grads[0];
    const Tensor& r = per_node.input_grads[0];
    REQUIRE(a.shape() == r.shape());
    for (int64_t i = 0; i < a.numel(); ++i)
      REQUIRE(a.f32()[i] == Approx(r.f32()[i]).margin(1e-5).epsilon(1e-5));
    const Tensor& pa = fused.value_grads.at("pre");
    const Tensor& pr = per_node.value_grads.at("pre");
    double norm = 0;
    for (int64_t i = 0; i < pa.numel(); ++i) {
      REQUIRE(pa.f32()[i] == Approx(pr.f32()[i]).margin(1e-5).epsilon(1e-5));
      norm += std::fabs(pr.f32()[i]);
    }
    REQUIRE(norm > 1.0);  // the comparison is of something
  }
}

TEST_CASE("convolutions packed before the first run compute the same as a direct loop",
          "[engine]") {
  // Op::prepare packs each constant conv weight when a plan first runs; the forward then finds
  // that packing in its cache. A grouped conv (two groups of 3 → 2 channels), a depthwise one
  // (packs nothing) and one whose weights are a graph input (not constant: packed on use).
  OnnxBuilder b(13);
  b.input("x", {1, 6, 5, 7});
  b.input("w_in", {3, 4, 3, 3});
  b.initializer("w_grouped", ramp({4, 3, 3, 3}, 0.37f));
  b.initializer("w_depthwise", ramp({4, 1, 3, 3}, 0.53f));
  b.node("Conv", {"x", "w_grouped"}, {"c1"},
         {OnnxBuilder::ints("pads", {1, 1, 1, 1}), OnnxBuilder::int_attr("group", 2)});
  b.node("Conv", {"c1", "w_depthwise"}, {"c2"},
         {OnnxBuilder::ints("pads", {1, 1, 1, 1}), OnnxBuilder::int_attr("group", 4)});
  b.node("Conv", {"c2", "w_in"}, {"y"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.output("y");
  const std::vector<uint8_t> bytes = b.bytes();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  const Tensor x = ramp({1, 6, 5, 7}, 0.11f), w_in = ramp({3, 4, 3, 3}, 0.29f);
  // Direct 3×3 convolution, padding 1, stride 1, `groups` groups.
  const auto conv = [](const Tensor& in, const Tensor& w, int64_t groups) {
    const int64_t c = in.dim(1), h = in.dim(2), wd = in.dim(3), o = w.dim(0);
    const int64_t cg = c / groups, og = o / groups;
    Tensor out({1, o, h, wd});
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < wd; ++j) {
          double s = 0;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t u = 0; u < 3; ++u)
              for (int64_t v = 0; v < 3; ++v) {
                const int64_t y = i + u - 1, z = j + v - 1;
                if (y < 0 || y >= h || z < 0 || z >= wd) continue;
                s += static_cast<double>(in.f32()[((oc / og) * cg + ic) * h * wd + y * wd + z]) *
                     w.f32()[((oc * cg + ic) * 3 + u) * 3 + v];
              }
          out.f32()[(oc * h + i) * wd + j] = static_cast<float>(s);
        }
    return out;
  };
  const Tensor expected =
      conv(conv(conv(x, ramp({4, 3, 3, 3}, 0.37f), 2), ramp({4, 1, 3, 3}, 0.53f), 4), w_in, 1);
  for (int run = 0; run < 2; ++run) {  // the first run prepares, the second reuses
    const Tensor y = e.forward({x, w_in}).outputs[0];
    REQUIRE(y.shape() == expected.shape());
    for (int64_t i = 0; i < y.numel(); ++i) {
      INFO("run " << run << " element " << i);
      REQUIRE(y.f32()[i] == Approx(expected.f32()[i]).margin(1e-4).epsilon(1e-4));
    }
  }
}

TEST_CASE("gradients with kept and repacked transposed weights agree, chosen by model size",
          "[engine][gradient]") {
  // A stride-1 3×3 conv (kept: the flipped-filter path), a stride-2 one (kept: Wᵀ), a grouped
  // 3×3 and a 1×1; repacked, each packs Wᵀ a block at a time on every run.
  OnnxBuilder b(13);
  b.input("x", {-1, 4, 9, 8});
  b.initializer("w1", ramp({6, 4, 3, 3}, 0.31f));
  b.initializer("w2", ramp({8, 6, 3, 3}, 0.23f));
  b.initializer("w3", ramp({8, 4, 3, 3}, 0.41f));
  b.initializer("w4", ramp({5, 8, 1, 1}, 0.17f));
  b.node("Conv", {"x", "w1"}, {"c1"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"},
         {OnnxBuilder::ints("pads", {1, 1, 1, 1}), OnnxBuilder::ints("strides", {2, 2})});
  b.node("Conv", {"c2", "w3"}, {"c3"},
         {OnnxBuilder::ints("pads", {1, 1, 1, 1}), OnnxBuilder::int_attr("group", 2)});
  b.node("Conv", {"c3", "w4"}, {"y"});
  b.output("y");
  const std::vector<uint8_t> bytes = b.bytes();
  const Tensor x = ramp({1, 4, 9, 8}, 0.07f);
  heatlens::ForwardOptions record;
  record.record = true;
  const auto gradient = [&](Engine::TransposedWeights policy) {
    Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
    e.set_transposed_weights(policy);
    const heatlens::ForwardResult f = e.forward({x}, record);
    const Tensor seed = ramp(f.outputs[0].shape(), 0.13f);
    Tensor g = e.vjp(f, {seed}).input_grads[0];
    const Tensor again = e.vjp(e.forward({x}, record), {seed}).input_grads[0];  // kept: reused
    for (int64_t i = 0; i < g.numel(); ++i) REQUIRE(again.f32()[i] == g.f32()[i]);
    return g;
  };
  const Tensor kept = gradient(Engine::TransposedWeights::keep);
  const Tensor repacked = gradient(Engine::TransposedWeights::repack);
  double norm = 0;
  for (int64_t i = 0; i < kept.numel(); ++i) {
    INFO("element " << i);
    REQUIRE(kept.f32()[i] == Approx(repacked.f32()[i]).margin(1e-4).epsilon(1e-4));
    norm += std::fabs(kept.f32()[i]);
  }
  REQUIRE(norm > 1.0);

  // automatic keeps them when the parameters are at most half the activations: here a fixed
  // 976 parameters (3,904 bytes) against 6,288 bytes of activations per image.
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  const int64_t params = e.graph().parameter_count() * 4;
  const auto plan_bytes = [&](int64_t batch) {
    return e.plan({{batch, 4, 9, 8}}, {heatlens::DType::f32})->activation_bytes;
  };
  // One image: (4·72 + 6·72 + 6·72 + 8·20 + 8·20 + 5·20) floats of activations.
  REQUIRE(plan_bytes(1) == (4 * 72 + 6 * 72 + 6 * 72 + 8 * 20 + 8 * 20 + 5 * 20) * 4);
  REQUIRE(params > plan_bytes(1) / 2);
  REQUIRE(params <= plan_bytes(8) / 2);
}
