// The ONNX reader on broken input: every truncation of a valid model, random bytes and bit
// flips must end in a heatlens::Error (never a crash, hang or other exception; the ASan build
// also checks that nothing reads out of bounds), and the errors must name the problem.
#include <catch2/catch.hpp>

#include <random>

#include "core/error.h"
#include "engine/engine.h"
#include "onnx/import.h"
#include "onnx_builder.h"

using heatlens::Engine;
using heatlens::Tensor;
using heatlens::test::OnnxBuilder;

namespace {

std::vector<uint8_t> small_cnn() {
  OnnxBuilder b(13);
  b.input("x", {-1, 1, 6, 6});
  b.initializer("w", Tensor::from_f32({2, 1, 3, 3}, std::vector<float>(18, 0.1f)));
  b.initializer("shape", Tensor::from_i64({2}, {0, -1}));
  b.node("Conv", {"x", "w"}, {"c"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv1");
  b.node("Relu", {"c"}, {"r"}, {}, "relu1");
  b.node("Reshape", {"r", "shape"}, {"y"}, {}, "flat");
  b.output("y");
  return b.bytes();
}

// Loads bytes; returns "" on success or the Error's message. Any other exception fails.
std::string try_load(const std::vector<uint8_t>& bytes) {
  try {
    Engine::load_bytes(bytes.data(), bytes.size(), 1);
    return "";
  } catch (const heatlens::Error& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("a valid model loads and runs with a free batch dimension", "[onnx]") {
  std::vector<uint8_t> bytes = small_cnn();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  heatlens::ForwardResult r = e.forward({Tensor({3, 1, 6, 6})});
  REQUIRE(r.outputs[0].shape() == heatlens::Shape{3, 72});
}

TEST_CASE("every truncation of a model is an error, not a crash", "[onnx]") {
  std::vector<uint8_t> bytes = small_cnn();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    REQUIRE_FALSE(try_load(cut).empty());
  }
}

TEST_CASE("random bytes and bit flips are errors, not crashes", "[onnx]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> junk(rng() % 400);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    REQUIRE_FALSE(try_load(junk).empty());
  }
  std::vector<uint8_t> bytes = small_cnn();
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> flipped = bytes;
    flipped[rng() % flipped.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    try_load(flipped);  // may load (a flipped weight is still a model), must not crash
  }
}

TEST_CASE("errors name what is wrong", "[onnx]") {
  REQUIRE_THAT(try_load({}), Catch::Contains("empty"));
  // A length-delimited field claiming far more bytes than the file has.
  std::vector<uint8_t> huge = {0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f};
  REQUIRE_THAT(try_load(huge), Catch::Contains("claims"));

  OnnxBuilder unsupported(13);
  unsupported.input("x", {1, 4});
  unsupported.node("Hardmax", {"x"}, {"h"}, {}, "mystery");
  unsupported.node("TopK", {"h"}, {"y"}, {}, "topk_node");
  unsupported.output("y");
  std::string msg = try_load(unsupported.bytes());
  REQUIRE_THAT(msg, Catch::Contains("node 'mystery' (Hardmax, opset 13)"));
  REQUIRE_THAT(msg, Catch::Contains("node 'topk_node' (TopK, opset 13)"));

  OnnxBuilder attr(13);
  attr.input("x", {1, 1, 4, 4});
  attr.node("MaxPool", {"x"}, {"y"},
            {OnnxBuilder::ints("kernel_shape", {2, 2}), OnnxBuilder::int_attr("storage_order", 1)},
            "pool");
  attr.output("y");
  REQUIRE_THAT(
      try_load(attr.bytes()),
      Catch::Contains("node 'pool' (MaxPool, opset 13): storage_order = 1 is not supported"));

  OnnxBuilder unknown(13);
  unknown.input("x", {1, 4});
  unknown.node("Relu", {"x"}, {"y"}, {OnnxBuilder::int_attr("fancy", 1)}, "r");
  unknown.output("y");
  REQUIRE_THAT(try_load(unknown.bytes()), Catch::Contains("attribute 'fancy' is not supported"));

  OnnxBuilder old_opset(19);
  old_opset.input("x", {1, 4});
  old_opset.node("Relu", {"x"}, {"y"});
  old_opset.output("y");
  REQUIRE_THAT(try_load(old_opset.bytes()), Catch::Contains("opset 19 is not supported"));
}

TEST_CASE("lenient import lists every unsupported node", "[onnx]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4});
  b.node("Hardmax", {"x"}, {"a"}, {}, "first");
  b.node("Relu", {"a"}, {"b"}, {}, "ok");
  b.node("Hardmax", {"b"}, {"y"}, {}, "second");
  b.output("y");
  std::vector<uint8_t> bytes = b.bytes();
  std::vector<heatlens::onnx::ImportIssue> issues;
  heatlens::Graph g = heatlens::onnx::import_model(
      heatlens::onnx::parse_model(bytes.data(), bytes.size()), false, &issues);
  REQUIRE(issues.size() == 2);
  REQUIRE(issues[0].node == "first");
  REQUIRE(issues[1].node == "second");
  REQUIRE(g.nodes.size() == 3);
}

TEST_CASE("wrong input shapes are refused with the expected shape", "[onnx]") {
  std::vector<uint8_t> bytes = small_cnn();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  REQUIRE_THROWS_WITH(
      e.forward({Tensor({1, 3, 6, 6})}),
      Catch::Contains("input 'x' expects shape [batch, 1, 6, 6], got [1, 3, 6, 6]"));
  REQUIRE_THROWS_WITH(e.forward({Tensor({1, 1, 6, 6}), Tensor({1})}),
                      Catch::Contains("takes 1 input"));
}
