// LRP at a layer whose output relevance reaches few channels (a classifier's target): the
// rules multiply by those channels' filters alone (explain/lrp_rules.h, confined_channels),
// and every rule gives what it gives over the whole layer.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/thread_pool.h"
#include "explain/lrp_rules.h"
#include "test_models.h"

using heatlens::Engine;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::Tensors;
using heatlens::test::load;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;

namespace {

struct Layer {
  const char* what;
  const char* op;
  Shape x, w, b;  // b empty: no bias
  int64_t trans_b = 1, group = 1, pad = 0;
};

Engine one_layer(const Layer& l) {
  OnnxBuilder b(13);
  b.input("x", l.x);
  b.initializer("w", random_tensor(l.w, 81));
  std::vector<std::string> in = {"x", "w"};
  if (!l.b.empty()) {
    b.initializer("b", random_tensor(l.b, 82));
    in.push_back("b");
  }
  if (std::string(l.op) == "Conv") {
    b.node("Conv", in, {"y"},
           {OnnxBuilder::ints("pads", {l.pad, l.pad, l.pad, l.pad}),
            OnnxBuilder::int_attr("group", l.group)},
           "layer");
  } else {
    b.node("Gemm", in, {"y"}, {OnnxBuilder::int_attr("transB", l.trans_b)}, "layer");
  }
  b.output("y");
  return load(b);
}

// Relevance at the output in one element of channel 3 of the first image (the 11th: inside a
// first block of 64 where planes are that large) and in the last of channel 5 of the last
// image, or everywhere.
Tensor relevance(const Shape& shape, bool everywhere) {
  const Tensor dense = random_tensor(shape, 83);
  if (everywhere) return dense;
  Tensor r(shape);
  const int64_t channels = shape[1], inner = r.numel() / (shape[0] * channels);
  const int64_t first = 3 * inner + std::min<int64_t>(10, inner - 1);
  const int64_t last = ((shape[0] - 1) * channels + 5) * inner + inner - 1;
  r.f32()[first] = dense.f32()[first];
  r.f32()[last] = dense.f32()[last];
  return r;
}

}  // namespace

TEST_CASE("LRP's rules on a classifier's target channels alone give the whole layer's",
          "[explain][lrp]") {
  const Layer layers[] = {
      {"1×1 Conv, planes over 64", "Conv", {1, 96, 9, 10}, {64, 96, 1, 1}, {64}},
      {"3×3 Conv, two images", "Conv", {2, 16, 7, 7}, {24, 16, 3, 3}, {}, 1, 1, 1},
      {"Gemm, B as [N, K]", "Gemm", {2, 50}, {30, 50}, {30}, 1},
      {"Gemm, B as [K, N]", "Gemm", {2, 50}, {50, 30}, {1, 30}, 0}};
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext ctx;
  ctx.pool = &pool;
  for (const Layer& l : layers) {
    Engine e = one_layer(l);
    const heatlens::Node& node = e.graph().nodes[0];
    for (const bool signed_x : {true, false}) {
      Tensors in = {random_tensor(l.x, 84, 1.0f, !signed_x), random_tensor(l.w, 81)};
      if (!l.b.empty()) in.push_back(random_tensor(l.b, 82));
      const Tensor y = node.op->forward(in, ctx)[0];
      const Tensor r = relevance(y.shape(), false);
      const heatlens::ConfinedChannels confined = heatlens::confined_channels(node, in, 0, r, 0.25);
      INFO(l.what);
      CHECK(confined.channels == std::vector<int64_t>{3, 5});
      CHECK(confined.weight_axis == (l.trans_b ? 0 : 1));
      // Relevance in every channel, or over a quarter of them, takes the whole layer.
      CHECK(heatlens::confined_channels(node, in, 0, relevance(y.shape(), true), 0.25)
                .channels.empty());
      CHECK(heatlens::confined_channels(node, in, 0, r, 1.5 / y.dim(1)).channels.empty());
      for (const std::string& name : heatlens::rule_names()) {
        heatlens::Rule rule;
        rule.kind = heatlens::parse_rule_kind(name);
        rule.epsilon = 0.01;
        if (rule.kind == heatlens::RuleKind::zbox) {
          rule.low = Tensor(l.x);
          rule.high = Tensor(l.x);
          for (int64_t i = 0; i < rule.low.numel(); ++i) {
            rule.low.f32()[i] = -2.0f;
            rule.high.f32()[i] = 2.0f;
          }
        }
        INFO(name << (signed_x ? ", signed input" : ", nonnegative input"));
        const Tensor got = heatlens::apply_rule(node, rule, in, 0, r, ctx, {}, false, 0.25);
        const Tensor want = heatlens::apply_rule(node, rule, in, 0, r, ctx, {}, false, 0.0);
        REQUIRE(got.shape() == want.shape());
        double scale = 0, diff = 0;
        for (int64_t i = 0; i < want.numel(); ++i) {
          scale = std::max(scale, static_cast<double>(std::fabs(want.f32()[i])));
          diff = std::max(diff, static_cast<double>(std::fabs(got.f32()[i] - want.f32()[i])));
        }
        // Something to compare (the flat rule spreads one output's relevance thin, and the
        // seeded draws differ between C++ libraries), and the same to rounding.
        CHECK(scale > 1e-5);
        CHECK(diff <= 1e-5 * scale);
      }
    }
  }
}

TEST_CASE("LRP takes a whole layer where its channels cannot be picked", "[explain][lrp]") {
  const Layer layers[] = {
      {"grouped Conv", "Conv", {1, 8, 5, 5}, {16, 4, 1, 1}, {16}, 1, 2},
      {"square Gemm", "Gemm", {1, 30}, {30, 30}, {30}},
      {"relevance larger than the weights", "Conv", {1, 4, 20, 20}, {16, 4, 1, 1}, {16}},
      {"a scalar bias", "Gemm", {1, 50}, {30, 50}, {}}};
  heatlens::ExecContext ctx;
  for (const Layer& l : layers) {
    INFO(l.what);
    Engine e = one_layer(l);
    const heatlens::Node& node = e.graph().nodes[0];
    Tensors in = {random_tensor(l.x, 84), random_tensor(l.w, 81)};
    if (!l.b.empty()) in.push_back(random_tensor(l.b, 82));
    if (std::string(l.what) == "a scalar bias") in.push_back(random_tensor({}, 82));
    const Tensor y = node.op->forward(in, ctx)[0];
    CHECK(heatlens::confined_channels(node, in, 0, relevance(y.shape(), false), 0.25)
              .channels.empty());
  }
}
