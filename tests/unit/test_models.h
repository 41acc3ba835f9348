// Helpers the explanation and evaluation tests share: building an engine from an OnnxBuilder,
// tensors from values or a seeded normal distribution, and running a method on a model
// without a card.
#pragma once

#include <cmath>
#include <map>
#include <random>
#include <string>

#include "explain/method.h"
#include "onnx_builder.h"

namespace heatlens::test {

inline Engine load(const OnnxBuilder& b) {
  std::vector<uint8_t> bytes = b.bytes();
  return Engine::load_bytes(bytes.data(), bytes.size(), 1);
}

inline Tensor tensor(const Shape& s, const std::vector<float>& v) {
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = v[i];
  return t;
}

inline Tensor random_tensor(const Shape& s, unsigned seed, float scale = 1.0f,
                            bool positive = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, scale);
  Tensor t(s);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = positive ? std::fabs(n(rng)) : n(rng);
  return t;
}

// A model of one Conv, x → y, with weights `w` and bias `b` (undefined: none); pads, strides and
// dilations alike along both axes.
inline OnnxBuilder conv_model(const Shape& x, const Tensor& w, const Tensor& b, int64_t group,
                              int64_t stride, int64_t dilation, int64_t pad) {
  OnnxBuilder m(13);
  m.input("x", x);
  m.initializer("w", w);
  std::vector<std::string> inputs = {"x", "w"};
  if (b.defined()) {
    m.initializer("b", b);
    inputs.push_back("b");
  }
  m.node("Conv", inputs, {"y"},
         {OnnxBuilder::ints("pads", {pad, pad, pad, pad}),
          OnnxBuilder::ints("strides", {stride, stride}),
          OnnxBuilder::ints("dilations", {dilation, dilation}),
          OnnxBuilder::int_attr("group", group)});
  m.output("y");
  return m;
}

inline Attribution run(Engine& e, const Tensor& x, const std::string& method,
                       std::map<std::string, std::string> params = {}, int64_t target = -1) {
  ExplainModel m(e, ModelCard{});
  Progress progress;
  TargetSpec t;
  t.class_index = target;
  return explain(m, x, method, t, params, progress);
}

}  // namespace heatlens::test
