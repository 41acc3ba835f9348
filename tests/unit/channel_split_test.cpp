// Plan::read_by_channel and ExecContext::output_by_channels: a value that only depthwise
// convolutions read is made by a GEMM whose rows (output channels) are split over the threads,
// so that each thread writes the channels it reads back. The split changes where work runs,
// never a value: two threads compute what one does, bit for bit (the GEMM itself: gemm_test).
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "test_models.h"

using heatlens::Engine;
using heatlens::Tensor;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;

namespace {

// An inverted residual block (1×1 expansion → ReLU6 → depthwise → ReLU6 → 1×1 projection),
// beside values that are not read by channel only: one read by a depthwise and an Add, one by a
// 1×1 convolution and then a depthwise, one by a depthwise and a model output, one by a
// depthwise convolution with two filters a channel (a grouped GEMM).
OnnxBuilder block_model() {
  OnnxBuilder b(13);
  b.input("x", {1, 8, 20, 18});
  const auto pads = OnnxBuilder::ints("pads", {1, 1, 1, 1});
  const auto depthwise = OnnxBuilder::int_attr("group", 48);
  b.initializer("we", random_tensor({48, 8, 1, 1}, 71, 0.4f));
  b.initializer("be", random_tensor({48}, 72, 0.1f));
  b.initializer("wd", random_tensor({48, 1, 3, 3}, 73, 0.4f));
  b.initializer("wp", random_tensor({8, 48, 1, 1}, 74, 0.3f));
  b.initializer("wd2", random_tensor({8, 1, 3, 3}, 75, 0.4f));
  b.initializer("wm", random_tensor({96, 1, 3, 3}, 80, 0.4f));
  b.initializer("six", Tensor::from_f32({}, {6.0f}));
  b.initializer("zero", Tensor::from_f32({}, {0.0f}));
  b.node("Conv", {"x", "we", "be"}, {"e"}, {}, "expand");
  b.node("Clip", {"e", "zero", "six"}, {"r"});
  b.node("Conv", {"r", "wd"}, {"d"}, {pads, depthwise}, "depthwise");
  b.node("Clip", {"d", "zero", "six"}, {"rd"});
  b.node("Conv", {"rd", "wd"}, {"u"}, {pads, depthwise}, "depthwise4");  // rd: then a depthwise
  b.node("Conv", {"rd", "wp"}, {"p"}, {}, "project");
  b.node("Conv", {"p", "wd2"}, {"q"}, {pads, OnnxBuilder::int_attr("group", 8)}, "depthwise2");
  b.node("Add", {"p", "q"}, {"s"});  // p: read by a depthwise and an Add
  b.node("Conv", {"s", "wd2"}, {"y"}, {pads, OnnxBuilder::int_attr("group", 8)}, "depthwise3");
  b.output("y");
  b.output("s");  // s: read by a depthwise and a model output
  b.node("Conv", {"u", "wm"}, {"um"}, {pads, depthwise}, "multiplier");  // u: 2 filters each
  b.output("um");
  return b;
}

}  // namespace

TEST_CASE("values read only by depthwise convolutions are made split by channel", "[engine]") {
  const std::vector<uint8_t> bytes = block_model().bytes();
  Engine one = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  Engine two = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  const auto plan = one.plan({{1, 8, 20, 18}}, {heatlens::DType::f32});
  const auto by_channel = [&](const std::string& name) {
    return static_cast<bool>(plan->read_by_channel[one.graph().require_value(name)]);
  };
  // r (the expansion's output after the fused ReLU6) is; e (read by the Clip), d (by a Clip),
  // the projection's input (by a 1×1 convolution), p, s and the output y are not.
  CHECK(by_channel("r"));
  CHECK_FALSE(by_channel("e"));
  CHECK_FALSE(by_channel("d"));
  CHECK_FALSE(by_channel("rd"));
  CHECK_FALSE(by_channel("p"));
  CHECK_FALSE(by_channel("s"));
  CHECK_FALSE(by_channel("y"));
  CHECK_FALSE(by_channel("u"));
  // The expansion (48 × 360 × 8) runs with its rows split at two threads: the same values.
  const Tensor x = random_tensor({1, 8, 20, 18}, 76);
  const heatlens::ForwardResult a = one.forward({x});
  const heatlens::ForwardResult b = two.forward({x});
  for (size_t o = 0; o < a.outputs.size(); ++o) {
    REQUIRE(a.outputs[o].numel() == b.outputs[o].numel());
    for (int64_t i = 0; i < a.outputs[o].numel(); ++i)
      REQUIRE(a.outputs[o].f32()[i] == b.outputs[o].f32()[i]);
  }
}
