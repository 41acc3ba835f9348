// Residual fusion (engine/fusion.h, find_residual_fusions): in forward-only runs an Add of a
// convolution's output and an earlier value, and the activation after it, run in that
// convolution's epilogue. The fused forward must equal the recorded one (which runs every node)
// bit for bit; the models have under 32 channels, so neither runs by Winograd.
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "test_models.h"

using heatlens::Engine;
using heatlens::ForwardOptions;
using heatlens::Tensor;
using heatlens::test::load;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;

namespace {

// x → conv1 → Relu → conv2 → Add(·, x) → Relu (a basic block), then conv3 and conv4 of the
// same input added (the sum goes into the one made last), a Clip (ReLU6) after; a
// broadcast Add, a conv output read twice, and a sum that is a model output beside them.
OnnxBuilder residual_model() {
  OnnxBuilder b(13);
  b.input("x", {-1, 6, 11, 9});
  const auto pads = OnnxBuilder::ints("pads", {1, 1, 1, 1});
  b.initializer("w1", random_tensor({6, 6, 3, 3}, 61, 0.3f));
  b.initializer("b1", random_tensor({6}, 62, 0.1f));
  b.initializer("w2", random_tensor({6, 6, 3, 3}, 63, 0.3f));
  b.initializer("w3", random_tensor({8, 6, 1, 1}, 64, 0.5f));
  b.initializer("w4", random_tensor({8, 6, 3, 3}, 65, 0.3f));
  b.initializer("b4", random_tensor({8}, 66, 0.1f));
  b.initializer("w5", random_tensor({8, 8, 1, 1}, 67, 0.5f));
  b.initializer("w6", random_tensor({8, 8, 1, 1}, 68, 0.5f));
  b.initializer("g", random_tensor({1, 8, 1, 1}, 69));
  b.initializer("six", Tensor::from_f32({}, {6.0f}));
  b.initializer("zero", Tensor::from_f32({}, {0.0f}));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {pads}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"}, {pads}, "conv2");
  b.node("Add", {"c2", "x"}, {"s2"});
  b.node("Relu", {"s2"}, {"r2"});
  b.node("Conv", {"r2", "w3"}, {"c3"}, {}, "conv3");
  b.node("Conv", {"r2", "w4", "b4"}, {"c4"}, {pads}, "conv4");
  b.node("Add", {"c3", "c4"}, {"s4"});
  b.node("Clip", {"s4", "zero", "six"}, {"r4"});
  b.node("Conv", {"r4", "w5"}, {"c5"}, {}, "conv5");
  b.node("Add", {"c5", "g"}, {"s5"});  // broadcast: stays an Add
  b.node("Conv", {"s5", "w6"}, {"c6"}, {}, "conv6");
  b.node("Add", {"c6", "c6"}, {"s6"});  // read twice: stays an Add
  b.node("Add", {"s6", "r4"}, {"y"});
  b.node("Conv", {"y", "w6"}, {"c7"}, {}, "conv7");
  b.node("Add", {"c7", "y"}, {"s7"});  // a model output: fused without the Relu after it
  b.node("Relu", {"s7"}, {"z"});
  b.output("z");
  b.output("s7");
  return b;
}

}  // namespace

TEST_CASE("a residual Add runs in its convolution's epilogue, as the Add apart", "[engine]") {
  Engine e = load(residual_model());
  const auto plan = e.plan({{1, 6, 11, 9}}, {heatlens::DType::f32});
  std::vector<std::string> fused;  // "conv: addend→result"
  for (size_t s = 0; s < plan->steps.size(); ++s) {
    const heatlens::Fusion& f = plan->residual_fusions[s];
    if (f.addend < 0) continue;
    fused.push_back(e.graph().nodes[plan->steps[s]].name + ": " + e.graph().values[f.addend].name +
                    "→" + e.graph().values[f.result].name);
  }
  // The sum of conv3 and conv4 goes into whichever of them runs last.
  auto step_of = [&](const std::string& name) {
    for (size_t s = 0; s < plan->steps.size(); ++s)
      if (e.graph().nodes[plan->steps[s]].name == name) return s;
    return plan->steps.size();
  };
  const std::string last = step_of("conv3") > step_of("conv4") ? "conv3: c4→r4" : "conv4: c3→r4";
  CHECK(fused == std::vector<std::string>{"conv2: x→r2", last, "conv7: y→s7"});
  for (int64_t batch : {1, 3}) {
    INFO("batch " << batch);
    const Tensor x = random_tensor({batch, 6, 11, 9}, 70);
    const auto fast = e.forward({x});
    ForwardOptions recorded;
    recorded.record = true;
    recorded.keep_all = true;
    const auto each = e.forward({x}, recorded);
    for (size_t k = 0; k < 2; ++k) {
      REQUIRE(fast.outputs[k].shape() == each.outputs[k].shape());
      for (int64_t i = 0; i < fast.outputs[k].numel(); ++i)
        REQUIRE(fast.outputs[k].f32()[i] == each.outputs[k].f32()[i]);
    }
    // A captured sum is made by its Add, as asked.
    ForwardOptions capture;
    capture.capture = {"s2", "c4"};
    const auto seen = e.forward({x}, capture);
    for (int64_t i = 0; i < seen.outputs[0].numel(); ++i)
      REQUIRE(seen.outputs[0].f32()[i] == each.outputs[0].f32()[i]);
    CHECK(seen.captured.at("s2").shape() == heatlens::Shape{batch, 6, 11, 9});
  }
}
