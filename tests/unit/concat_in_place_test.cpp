// Concatenation in place (engine/concat_slots.h): the parts of a Concat along channels of a
// batch of one are written straight into its output. Each model is compared with itself made
// ineligible (every part also a model output), bit for bit, forward and through gradients.
#include <catch2/catch.hpp>

#include "engine/engine.h"
#include "test_models.h"

using heatlens::Engine;
using heatlens::ForwardOptions;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;

namespace {

// x → [Conv + Relu (fused), Conv, MaxPool(Conv) (a part no kernel writes in place)] → Concat
// "cat" → Concat with Conv + Relu "cat2" (cat nested in it) → Conv → y; beside it a Concat
// along rows (not one run per part unless the channels are 1), and one with the input x.
// `parts_out`: every part is also a model output, so no Concat is in place.
Engine concat_model(bool parts_out, int threads) {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 13, 11});
  const auto pads = OnnxBuilder::ints("pads", {1, 1, 1, 1});
  b.initializer("w1", random_tensor({4, 3, 3, 3}, 91, 0.4f));
  b.initializer("b1", random_tensor({4}, 92, 0.1f));
  b.initializer("w2", random_tensor({2, 3, 1, 1}, 93, 0.5f));
  b.initializer("w3", random_tensor({3, 3, 3, 3}, 94, 0.3f));
  b.initializer("w4", random_tensor({5, 3, 3, 3}, 95, 0.3f));
  b.initializer("w5", random_tensor({3, 14, 3, 3}, 96, 0.2f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {pads}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"x", "w2"}, {"c2"}, {}, "conv2");
  b.node("Conv", {"x", "w3"}, {"c3"}, {pads}, "conv3");
  b.node("MaxPool", {"c3"}, {"s3"},
         {OnnxBuilder::ints("kernel_shape", {3, 3}), OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Concat", {"r1", "c2", "s3"}, {"cat"}, {OnnxBuilder::int_attr("axis", 1)});
  b.node("Conv", {"x", "w4"}, {"c4"}, {pads}, "conv4");
  b.node("Relu", {"c4"}, {"r4"});
  b.node("Concat", {"cat", "r4"}, {"cat2"}, {OnnxBuilder::int_attr("axis", -3)});
  b.node("Conv", {"cat2", "w5"}, {"y"}, {pads}, "conv5");
  b.node("Conv", {"x", "w2"}, {"c6"}, {}, "conv6");
  b.node("Conv", {"x", "w2"}, {"c7"}, {OnnxBuilder::ints("pads", {1, 0, 1, 0})}, "conv7");
  b.node("Concat", {"c6", "c7"}, {"rows"}, {OnnxBuilder::int_attr("axis", 2)});
  b.node("Conv", {"x", "w2"}, {"c8"}, {}, "conv8");
  b.node("Concat", {"c8", "x"}, {"with_input"}, {OnnxBuilder::int_attr("axis", 1)});
  b.output("y");
  b.output("rows");
  b.output("with_input");
  if (parts_out) {
    for (const char* part : {"r1", "c2", "s3", "cat", "r4"}) b.output(part);
  }
  const std::vector<uint8_t> bytes = b.bytes();
  return Engine::load_bytes(bytes.data(), bytes.size(), threads);
}

void require_same(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a.f32()[i] == b.f32()[i]);
}

}  // namespace

// The Concats whose every part is written in place, by output name.
std::vector<std::string> in_place(Engine& e, const Shape& x) {
  const auto plan = e.plan({x}, {heatlens::DType::f32});
  std::vector<std::string> names;
  for (size_t s = 0; s < plan->steps.size(); ++s) {
    if (plan->concat_in_place[s])
      names.push_back(e.graph().values[e.graph().nodes[plan->steps[s]].outputs[0]].name);
  }
  return names;
}

TEST_CASE("a channel Concat of one image is made in place, as the copying one", "[engine]") {
  for (int threads : {1, 2}) {
    Engine e = concat_model(false, threads), ref = concat_model(true, threads);
    // Along rows, with the input, and any batch of two stay copies.
    CHECK(in_place(e, {1, 3, 13, 11}) == std::vector<std::string>{"cat", "cat2"});
    CHECK(in_place(e, {2, 3, 13, 11}).empty());
    CHECK(in_place(ref, {1, 3, 13, 11}).empty());
    for (int64_t batch : {1, 2}) {
      const Tensor x = random_tensor({batch, 3, 13, 11}, 97);
      const auto got = e.forward({x}).outputs;
      const auto want = ref.forward({x}).outputs;
      for (size_t k = 0; k < 3; ++k) require_same(got[k], want[k]);
      // The parts themselves, captured (a captured part keeps its value unfused).
      ForwardOptions capture;
      capture.capture = {"r1", "s3", "cat"};
      const auto parts = e.forward({x}, capture);
      require_same(parts.captured.at("r1"), want[3]);
      require_same(parts.captured.at("s3"), want[5]);
      require_same(parts.captured.at("cat"), want[6]);
      require_same(parts.outputs[0], want[0]);
    }
  }
}

TEST_CASE("gradients through a Concat made in place are those through the copying one",
          "[engine]") {
  Engine e = concat_model(false, 2), ref = concat_model(true, 2);
  const Tensor x = random_tensor({1, 3, 13, 11}, 98);
  for (int mode = 0; mode < 3; ++mode) {
    ForwardOptions recorded;
    recorded.record = true;
    recorded.plain_gradient = mode == 1;
    recorded.keep_all = mode == 2;
    const auto f = e.forward({x}, recorded);
    const auto fr = ref.forward({x}, recorded);
    const Tensor seed = random_tensor(f.outputs[0].shape(), 99);
    const auto g = e.vjp_from(f, {{"y", seed}}, {"cat"});
    const auto gr = ref.vjp_from(fr, {{"y", seed}}, {"cat"});
    require_same(g.input_grads[0], gr.input_grads[0]);
    require_same(g.value_grads.at("cat"), gr.value_grads.at("cat"));
  }
}
