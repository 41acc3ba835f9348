// Recorded forwards for plain gradients (ForwardOptions::plain_gradient): activations fuse into
// their convolutions, a fused Relu keeps its output instead of its input, a fused SiLU its input
// without the sigmoid, and the gradient is the one the unfused recording gives.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "engine/engine.h"
#include "onnx_builder.h"

using heatlens::Engine;
using heatlens::ForwardOptions;
using heatlens::ForwardResult;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::test::OnnxBuilder;

namespace {

Tensor wave(const Shape& s, float step, float scale = 1.0f) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.f32()[i] = scale * std::sin(static_cast<float>(i) * step + 0.3f);
  return t;
}

// x → Conv → Relu (r1) → Conv → SiLU as Mul(c2, Sigmoid(c2)) → Conv → Add(·, r1) → Relu →
// GlobalAveragePool → Flatten → Gemm: a Conv + Relu, a Conv + SiLU and an Add + Relu fusion.
// Fewer than 32 channels, so no layer runs by Winograd in forward-only runs.
Engine residual_model() {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 10, 9});
  b.initializer("w1", wave({6, 3, 3, 3}, 0.71f, 0.4f));
  b.initializer("b1", wave({6}, 1.3f, 0.1f));
  b.initializer("w2", wave({5, 6, 3, 3}, 0.37f, 0.3f));
  b.initializer("b2", wave({5}, 0.9f, 0.2f));
  b.initializer("w3", wave({6, 5, 1, 1}, 0.53f, 0.5f));
  b.initializer("fc", wave({4, 6}, 0.29f));
  const auto pads = OnnxBuilder::ints("pads", {1, 1, 1, 1});
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {pads}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2", "b2"}, {"c2"}, {pads}, "conv2");
  b.node("Sigmoid", {"c2"}, {"s2"});
  b.node("Mul", {"c2", "s2"}, {"m2"});
  b.node("Conv", {"m2", "w3"}, {"c3"}, {}, "conv3");
  b.node("Add", {"c3", "r1"}, {"a3"});
  b.node("Relu", {"a3"}, {"y3"});
  b.node("GlobalAveragePool", {"y3"}, {"p"});
  b.node("Flatten", {"p"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)}, "fc");
  b.output("logits");
  const std::vector<uint8_t> bytes = b.bytes();
  return Engine::load_bytes(bytes.data(), bytes.size(), 2);
}

Tensor input_gradient(Engine& e, const ForwardResult& f, int64_t cls) {
  Tensor seed({1, 4});
  seed.f32()[cls] = 1;
  return e.vjp(f, {seed}).input_grads[0];
}

}  // namespace

TEST_CASE("a plain gradient's forward fuses activations and keeps what their gradients read",
          "[engine]") {
  Engine e = residual_model();
  const Tensor x = wave({1, 3, 10, 9}, 0.173f, 2.0f);
  ForwardOptions recorded;
  recorded.record = true;
  const ForwardResult unfused = e.forward({x}, recorded);

  ForwardOptions plain = recorded;
  plain.plain_gradient = true;
  std::map<std::string, double> ran;  // milliseconds by operator type: which ops ran
  plain.op_times = &ran;
  const ForwardResult fused = e.forward({x}, plain);
  // Every activation ran inside a convolution or the Add, or (SiLU) in one pass after it.
  CHECK(ran.count("Conv") == 1);
  CHECK(ran.count("Relu") == 0);
  CHECK(ran.count("Sigmoid") == 0);
  CHECK(ran.count("Mul") == 0);
  const auto kept = [&](const ForwardResult& f, const char* name) {
    return f.tape->values[e.graph().require_value(name)].defined();
  };
  CHECK(fused.tape->plain_gradient);
  CHECK_FALSE(unfused.tape->plain_gradient);
  // The Relus' outputs instead of their inputs; the SiLU's input without its sigmoid.
  CHECK(kept(unfused, "c1"));
  CHECK_FALSE(kept(fused, "c1"));
  CHECK(kept(fused, "r1"));
  CHECK(kept(unfused, "s2"));
  CHECK_FALSE(kept(fused, "s2"));
  CHECK(kept(fused, "c2"));
  CHECK_FALSE(kept(fused, "a3"));
  CHECK(kept(fused, "y3"));

  // The logits are the forward-only run's, bit for bit (the same fused kernels).
  const Tensor logits = e.forward({x}).outputs[0];
  for (int64_t i = 0; i < logits.numel(); ++i) CHECK(fused.outputs[0].f32()[i] == logits.f32()[i]);
  // The gradient is the unfused recording's: the same masks, the same recomputed sigmoid.
  for (int64_t cls : {0, 3}) {
    const Tensor want = input_gradient(e, unfused, cls);
    const Tensor got = input_gradient(e, fused, cls);
    double norm = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      INFO("class " << cls << " element " << i);
      REQUIRE(got.f32()[i] == Approx(want.f32()[i]).margin(1e-6).epsilon(1e-5));
      norm += std::fabs(want.f32()[i]);
    }
    REQUIRE(norm > 0.1);  // the comparison is of something
  }

  // A hook may read any node's inputs, which this recording dropped.
  REQUIRE_THROWS_WITH(e.vjp_from(fused, {{"logits", Tensor({1, 4})}}, {},
                                 [](const heatlens::Node&, const heatlens::VjpArgs&,
                                    heatlens::Tensors&) { return false; }),
                      Catch::Contains("cannot be differentiated with a hook"));
}

TEST_CASE("a plain gradient's forward keeps captured values unfused", "[engine]") {
  Engine e = residual_model();
  const Tensor x = wave({1, 3, 10, 9}, 0.173f, 2.0f);
  ForwardOptions plain;
  plain.record = true;
  plain.plain_gradient = true;
  plain.capture = {"c1", "s2"};
  std::map<std::string, double> ran;
  plain.op_times = &ran;
  const ForwardResult f = e.forward({x}, plain);
  // The first Relu and the SiLU run as nodes, the Add's Relu still fuses.
  CHECK(ran.count("Relu") == 1);
  CHECK(ran.count("Sigmoid") == 1);
  CHECK(f.captured.at("c1").defined());
  CHECK(f.captured.at("s2").defined());
  ForwardOptions recorded;
  recorded.record = true;
  const Tensor want = input_gradient(e, e.forward({x}, recorded), 2);
  const Tensor got = input_gradient(e, f, 2);
  for (int64_t i = 0; i < want.numel(); ++i)
    REQUIRE(got.f32()[i] == Approx(want.f32()[i]).margin(1e-6).epsilon(1e-5));
}
