// The Conv operator's Winograd wiring (ops/conv.cpp): which layers and contexts take
// kernels/winograd.h, and that they compute what the im2col GEMM path computes. The op is run
// directly under chosen contexts: with transformed weights allowed (forward-only runs) and
// without (recorded runs, gradients, LRP). Winograd rounds differently from the GEMM, so
// outputs that agree within tolerance but not bit for bit show it ran; bit-for-bit equal ones
// show it did not.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "onnx_builder.h"

using heatlens::Engine;
using heatlens::ExecContext;
using heatlens::Op;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::Tensors;
using heatlens::ValueType;
using heatlens::test::OnnxBuilder;

namespace {

Tensor wave(const Shape& s, float scale) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = std::sin(static_cast<float>(i) * scale);
  return t;
}

// max |a − b| / max |b|.
float relative_gap(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  float gap = 0, scale = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    gap = std::max(gap, std::fabs(a.f32()[i] - b.f32()[i]));
    scale = std::max(scale, std::fabs(b.f32()[i]));
  }
  return gap / scale;
}

// One Conv (3×3, padding 1, `channels` in and `out_channels` out, bias) on an image of side
// `side` (or side × width).
struct ConvModel {
  Engine engine;
  Tensor w, bias;
};

ConvModel conv_model(int64_t channels, int64_t side, int64_t out_channels = 0, int64_t width = 0) {
  OnnxBuilder b(13);
  if (out_channels == 0) out_channels = channels;
  if (width == 0) width = side;
  const Shape ws = {out_channels, channels, 3, 3};
  Tensor w = wave(ws, 0.37f), bias = wave({out_channels}, 0.91f);
  for (int64_t i = 0; i < w.numel(); ++i) w.f32()[i] *= 0.1f;
  b.input("x", {-1, channels, side, width});
  b.initializer("w", w);
  b.initializer("b", bias);
  b.node("Conv", {"x", "w", "b"}, {"y"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.output("y");
  const std::vector<uint8_t> bytes = b.bytes();
  return {Engine::load_bytes(bytes.data(), bytes.size(), 1), w, bias};
}

Tensors run_forward(const Op& op, const Tensor& x, const ConvModel& m, const ExecContext& ctx) {
  return op.forward({x, m.w, m.bias}, ctx);
}

Tensor input_gradient(const Op& op, const Tensor& x, const Tensor& dy, const ConvModel& m,
                      const ExecContext& ctx) {
  const std::vector<ValueType> types = {{heatlens::DType::f32, x.shape(), Tensor()},
                                        {heatlens::DType::f32, m.w.shape(), m.w},
                                        {heatlens::DType::f32, m.bias.shape(), m.bias}};
  const Tensors inputs = {x, m.w, m.bias}, outputs = {Tensor()}, grads = {dy};
  const std::vector<bool> need = {true, false, false};
  return op.vjp({types, inputs, outputs, grads, need, ctx})[0];
}

}  // namespace

TEST_CASE(
    "Conv runs 3x3 layers of at most 256x256 channels by Winograd in forward-only runs "
    "and LRP's kept transposes",
    "[ops]") {
  heatlens::ThreadPool pool(2);
  ExecContext winograd{&pool}, gemm{&pool};
  gemm.transformed_weights = false;  // as in a recorded run
  SECTION("a 32-channel layer on 14×14 maps, one image") {
    const ConvModel m = conv_model(32, 14);
    const Op& op = *m.engine.graph().nodes[0].op;
    const Tensor x = wave({1, 32, 14, 14}, 0.13f);
    const Tensor fast = run_forward(op, x, m, winograd)[0];
    const Tensor plain = run_forward(op, x, m, gemm)[0];
    CHECK(relative_gap(fast, plain) > 0.0f);  // Winograd ran
    CHECK(relative_gap(fast, plain) < 1e-5f);
    // Through the engine: a plain forward takes Winograd, a recorded one (gradients, LRP) not.
    ConvModel run = conv_model(32, 14);
    heatlens::ForwardOptions record;
    record.record = true;
    CHECK(relative_gap(run.engine.forward({x}).outputs[0], fast) == 0.0f);
    CHECK(relative_gap(run.engine.forward({x}, record).outputs[0], plain) == 0.0f);
    record.keep_values.assign(run.engine.graph().values.size(), true);  // LRP's kind of record
    CHECK(relative_gap(run.engine.forward({x}, record).outputs[0], plain) == 0.0f);
    // The input gradient is the GEMM's unless the transposes are kept (LRP) and transformed
    // weights allowed: then the flipped filter's convolution of dy runs by Winograd.
    const Tensor dy = wave({1, 32, 14, 14}, 0.29f);
    ExecContext kept_winograd = winograd, kept_gemm = gemm;
    kept_winograd.keep_transposed_weights = kept_gemm.keep_transposed_weights = true;
    const Tensor kept_fast = input_gradient(op, x, dy, m, kept_winograd);
    const Tensor kept_plain = input_gradient(op, x, dy, m, kept_gemm);
    CHECK(relative_gap(kept_fast, kept_plain) > 0.0f);
    CHECK(relative_gap(kept_fast, kept_plain) < 1e-5f);
    CHECK(relative_gap(input_gradient(op, x, dy, m, winograd), kept_plain) < 1e-5f);
    CHECK(relative_gap(input_gradient(op, x, dy, m, winograd),
                       input_gradient(op, x, dy, m, gemm)) == 0.0f);
  }
  SECTION("a kept input gradient by Winograd with more filters than channels, odd maps") {
    // 40 channels in, 56 out, 13 × 17 maps: the flipped filter swaps the two channel counts.
    const ConvModel m = conv_model(40, 13, 56, 17);
    const Op& op = *m.engine.graph().nodes[0].op;
    const Tensor x = wave({1, 40, 13, 17}, 0.11f), dy = wave({1, 56, 13, 17}, 0.31f);
    ExecContext kept_winograd = winograd, kept_gemm = gemm, plain = gemm;
    kept_winograd.keep_transposed_weights = kept_gemm.keep_transposed_weights = true;
    const Tensor fast = input_gradient(op, x, dy, m, kept_winograd);
    CHECK(relative_gap(fast, input_gradient(op, x, dy, m, kept_gemm)) > 0.0f);
    CHECK(relative_gap(fast, input_gradient(op, x, dy, m, kept_gemm)) < 1e-5f);
    CHECK(relative_gap(fast, input_gradient(op, x, dy, m, plain)) < 1e-5f);  // Wᵀ and col2im
  }
  SECTION("batches: image by image on large maps, one GEMM over the batch on small ones") {
    const ConvModel large = conv_model(32, 32);
    const Tensor xl = wave({2, 32, 32, 32}, 0.17f);
    const Op& op_large = *large.engine.graph().nodes[0].op;
    const Tensor fast = run_forward(op_large, xl, large, winograd)[0];
    const Tensor plain = run_forward(op_large, xl, large, gemm)[0];
    CHECK(relative_gap(fast, plain) > 0.0f);
    CHECK(relative_gap(fast, plain) < 1e-5f);
    // The second image by itself gives its half of the batch.
    Tensor second({1, 32, 32, 32});
    std::copy(xl.f32() + second.numel(), xl.f32() + 2 * second.numel(), second.f32());
    const Tensor alone = run_forward(op_large, second, large, winograd)[0];
    for (int64_t i = 0; i < alone.numel(); ++i)
      REQUIRE(alone.f32()[i] == fast.f32()[alone.numel() + i]);
    const ConvModel small = conv_model(32, 14);
    const Op& op_small = *small.engine.graph().nodes[0].op;
    const Tensor xs = wave({3, 32, 14, 14}, 0.19f);
    CHECK(relative_gap(run_forward(op_small, xs, small, winograd)[0],
                       run_forward(op_small, xs, small, gemm)[0]) == 0.0f);
  }
  SECTION("layers it does not take run the GEMM in every context") {
    // 272 channels (more pairs than 256 × 256) and maps under 12 × 12.
    for (const auto& [channels, side] : {std::pair<int64_t, int64_t>{272, 14}, {32, 10}}) {
      const ConvModel m = conv_model(channels, side);
      const Op& op = *m.engine.graph().nodes[0].op;
      const Tensor x = wave({1, channels, side, side}, 0.23f);
      CHECK(relative_gap(run_forward(op, x, m, winograd)[0], run_forward(op, x, m, gemm)[0]) ==
            0.0f);
    }
  }
}

TEST_CASE("A recorded forward may run by Winograd the layers whose outputs reach no max pooling",
          "[ops]") {
  // x → conv_a ─┐
  // x → conv_c ─┴ Add → MaxPool → pooled   (both reach the pool's ties)
  // x → conv_b → yb                          (reaches none)
  OnnxBuilder b(13);
  const int64_t c = 32, side = 14;
  b.input("x", {1, c, side, side});
  const auto pads = OnnxBuilder::ints("pads", {1, 1, 1, 1});
  for (const std::string name : {"a", "b", "c"}) {
    Tensor w = wave({c, c, 3, 3}, name == "a" ? 0.37f : name == "b" ? 0.41f : 0.43f);
    for (int64_t i = 0; i < w.numel(); ++i) w.f32()[i] *= 0.1f;
    b.initializer("w" + name, w);
    b.node("Conv", {"x", "w" + name}, {"y" + name}, {pads});
  }
  b.node("Add", {"ya", "yc"}, {"sum"});
  b.node("MaxPool", {"sum"}, {"pooled"},
         {OnnxBuilder::ints("kernel_shape", {2, 2}), OnnxBuilder::ints("strides", {2, 2})});
  b.output("pooled");
  b.output("yb");
  const std::vector<uint8_t> bytes = b.bytes();
  Engine engine = Engine::load_bytes(bytes.data(), bytes.size(), 2);
  const Tensor x = wave({1, c, side, side}, 0.07f);
  heatlens::ForwardOptions fast, plain, tie_free;
  fast.capture = plain.capture = tie_free.capture = {"ya", "yb", "yc"};
  plain.record = tie_free.record = true;
  plain.keep_values.assign(engine.graph().values.size(), true);  // LRP's kind of record
  tie_free.keep_values = plain.keep_values;
  tie_free.transforms_where_tie_free = true;
  const auto f = engine.forward({x}, fast), p = engine.forward({x}, plain),
             t = engine.forward({x}, tie_free);
  CHECK(relative_gap(f.captured.at("yb"), p.captured.at("yb")) > 0.0f);  // Winograd ran
  CHECK(relative_gap(t.captured.at("yb"), f.captured.at("yb")) == 0.0f);
  for (const char* upstream : {"ya", "yc"}) {
    CHECK(relative_gap(f.captured.at(upstream), p.captured.at(upstream)) > 0.0f);
    CHECK(relative_gap(t.captured.at(upstream), p.captured.at(upstream)) == 0.0f);
  }
  CHECK(relative_gap(t.outputs[0], p.outputs[0]) == 0.0f);
}
