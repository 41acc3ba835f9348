// Every WGSL kernel against the CPU engine, through single-operator (and a few small) models on
// odd shapes and tile boundaries: forward outputs, and input gradients for random output seeds,
// must agree within a relative error of 1e-4 (max |gpu − cpu| / max |cpu|). The node must run on
// the GPU (no CPU fallback), except where a test says otherwise.
//
// Built as build/wasm/heatlens_gpu_tests.js and run in Chromium by tests/e2e/webgpu.test.mjs.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>

#include "gpu/context.h"
#include "gpu/webgpu_backend.h"
#include "gpu_test_util.h"
#include "test_models.h"

namespace heatlens {
namespace {

using test::OnnxBuilder;
using test::random_tensor;
using test::relative_error;

Engine engine_of(const OnnxBuilder& b) {
  std::vector<uint8_t> bytes = b.bytes();
  return Engine::load_bytes(bytes.data(), bytes.size(), 1);
}

struct Check {
  bool gradient = true;      // compare input gradients too
  int64_t cpu_nodes = 0;     // nodes expected to fall back (forward + backward)
  bool forward_only = true;  // also run a forward-only pass (fused activations)
};

// Runs `b` on the CPU and on the GPU with the same random inputs and output seeds.
void check_model(const OnnxBuilder& b, const std::vector<Shape>& input_shapes, Check check = {}) {
  Engine cpu = engine_of(b);
  Engine gpu = engine_of(b);
  auto backend = std::make_shared<gpu::WebGpuBackend>();
  gpu.set_backend(backend);
  Tensors x;
  for (size_t i = 0; i < input_shapes.size(); ++i)
    x.push_back(random_tensor(input_shapes[i], 100 + static_cast<unsigned>(i)));

  if (check.forward_only) {
    ForwardResult fc = cpu.forward(x);
    ForwardResult fg = gpu.forward(x);
    for (size_t k = 0; k < fc.outputs.size(); ++k)
      CHECK(relative_error(fg.outputs[k], fc.outputs[k]) <= 1e-4);
  }
  ForwardOptions record;
  record.record = true;
  ForwardResult fc = cpu.forward(x, record);
  ForwardResult fg = gpu.forward(x, record);
  REQUIRE(fg.tape->backend == backend.get());
  Tensors seeds;
  for (size_t k = 0; k < fc.outputs.size(); ++k) {
    CHECK(relative_error(fg.outputs[k], fc.outputs[k]) <= 1e-4);
    seeds.push_back(random_tensor(fc.outputs[k].shape(), 7 + static_cast<unsigned>(k)));
  }
  if (check.gradient) {
    VjpResult gc = cpu.vjp(fc, seeds);
    VjpResult gg = gpu.vjp(fg, seeds);
    for (size_t i = 0; i < gc.input_grads.size(); ++i)
      CHECK(relative_error(gg.input_grads[i], gc.input_grads[i]) <= 1e-4);
  }
  CHECK(backend->stats().cpu_nodes == check.cpu_nodes);
  CHECK(backend->stats().device_nodes > 0);
}

struct ConvCase {
  Shape x, w;
  std::vector<int64_t> strides, pads, dilations;
  int64_t group;
  bool bias;
};

TEST_CASE("GPU convolution (implicit GEMM and depthwise) and its input gradient") {
  const ConvCase cases[] = {
      {{1, 3, 9, 11}, {5, 3, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},
      // Rows across a 64-row tile, columns across 64-column tiles, k across 16-steps.
      {{2, 17, 13, 12}, {70, 17, 3, 3}, {1, 1}, {0, 1, 2, 1}, {1, 1}, 1, true},
      {{1, 8, 15, 15}, {12, 8, 5, 5}, {2, 2}, {2, 2, 2, 2}, {1, 1}, 1, false},
      {{1, 4, 16, 16}, {6, 4, 3, 3}, {1, 2}, {1, 1, 1, 1}, {2, 2}, 1, true},    // dilation
      {{1, 33, 7, 9}, {65, 33, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},   // 1×1
      {{1, 8, 10, 10}, {12, 4, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 2, true},   // grouped
      {{2, 6, 11, 9}, {6, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 6, true},     // depthwise
      {{1, 5, 12, 12}, {10, 1, 5, 5}, {2, 2}, {2, 1, 2, 1}, {1, 1}, 5, false},  // multiplier 2
  };
  for (const ConvCase& c : cases) {
    OnnxBuilder b;
    b.input("x", c.x);
    b.initializer("w", random_tensor(c.w, 3));
    std::vector<std::string> inputs = {"x", "w"};
    if (c.bias) {
      b.initializer("b", random_tensor({c.w[0]}, 4));
      inputs.push_back("b");
    }
    b.node("Conv", inputs, {"y"},
           {OnnxBuilder::ints("strides", c.strides), OnnxBuilder::ints("pads", c.pads),
            OnnxBuilder::ints("dilations", c.dilations), OnnxBuilder::int_attr("group", c.group)});
    b.output("y");
    INFO("x " << shape_str(c.x) << " w " << shape_str(c.w) << " group " << c.group);
    check_model(b, {c.x});
  }
}

TEST_CASE("GPU convolution with a fused activation (forward-only runs)") {
  for (const char* act : {"Relu", "Clip", "Sigmoid"}) {
    OnnxBuilder b;
    b.input("x", {1, 3, 10, 10});
    b.initializer("w", random_tensor({8, 3, 3, 3}, 5));
    b.initializer("b", random_tensor({8}, 6));
    b.node("Conv", {"x", "w", "b"}, {"c"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
    if (std::string(act) == "Clip") {
      b.initializer("lo", Tensor::scalar(0.0f));
      b.initializer("hi", Tensor::scalar(0.5f));
      b.node("Clip", {"c", "lo", "hi"}, {"y"});
      b.output("y");
    } else if (std::string(act) == "Sigmoid") {  // SiLU as PyTorch exports it
      b.node("Sigmoid", {"c"}, {"s"});
      b.node("Mul", {"c", "s"}, {"y"});
      b.output("y");
    } else {
      b.node("Relu", {"c"}, {"y"});
      b.output("y");
    }
    INFO(act);
    check_model(b, {{1, 3, 10, 10}});
  }
}

TEST_CASE("GPU Gemm: transposes, C broadcasts, tile boundaries, and its input gradient") {
  struct GemmCase {
    int64_t m, n, k;
    bool ta, tb;
    Shape c;
    float alpha, beta;
  };
  const GemmCase cases[] = {
      {1, 10, 120, false, true, {10}, 1.0f, 1.0f},  {3, 65, 17, false, false, {3, 65}, 0.5f, 2.0f},
      {70, 5, 33, true, false, {1, 5}, 1.0f, 1.0f}, {2, 64, 64, true, true, {2, 1}, 1.5f, -1.0f},
      {5, 7, 9, false, true, {}, 1.0f, 0.0f},
  };
  for (const GemmCase& g : cases) {
    OnnxBuilder b;
    const Shape a = g.ta ? Shape{g.k, g.m} : Shape{g.m, g.k};
    b.input("a", a);
    b.initializer("w", random_tensor(g.tb ? Shape{g.n, g.k} : Shape{g.k, g.n}, 8));
    std::vector<std::string> inputs = {"a", "w"};
    if (!g.c.empty()) {
      b.initializer("c", random_tensor(g.c, 9));
      inputs.push_back("c");
    }
    b.node("Gemm", inputs, {"y"},
           {OnnxBuilder::int_attr("transA", g.ta), OnnxBuilder::int_attr("transB", g.tb),
            OnnxBuilder::float_attr("alpha", g.alpha), OnnxBuilder::float_attr("beta", g.beta)});
    b.output("y");
    INFO(g.m << "×" << g.n << "×" << g.k << " ta " << g.ta << " tb " << g.tb);
    check_model(b, {a});
  }
}

TEST_CASE("GPU pooling: max (padding, strides, dilation, ceil mode), average, global average") {
  struct PoolCase {
    const char* op;
    Shape x;
    std::vector<int64_t> kernel, strides, pads;
    std::vector<OnnxBuilder::Attr> extra;
  };
  const PoolCase cases[] = {
      {"MaxPool", {1, 3, 9, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}},
      {"MaxPool",
       {2, 2, 8, 7},
       {2, 2},
       {2, 2},
       {0, 0, 0, 0},
       {OnnxBuilder::int_attr("ceil_mode", 1)}},
      {"MaxPool",
       {1, 2, 11, 11},
       {3, 3},
       {1, 1},
       {2, 2, 2, 2},
       {OnnxBuilder::ints("dilations", {2, 2})}},
      {"AveragePool", {1, 3, 9, 10}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}},
      {"AveragePool",
       {1, 3, 9, 10},
       {3, 2},
       {1, 2},
       {1, 0, 1, 1},
       {OnnxBuilder::int_attr("count_include_pad", 1)}},
  };
  for (const PoolCase& c : cases) {
    OnnxBuilder b;
    b.input("x", c.x);
    std::vector<OnnxBuilder::Attr> attrs = {OnnxBuilder::ints("kernel_shape", c.kernel),
                                            OnnxBuilder::ints("strides", c.strides),
                                            OnnxBuilder::ints("pads", c.pads)};
    attrs.insert(attrs.end(), c.extra.begin(), c.extra.end());
    b.node(c.op, {"x"}, {"y"}, attrs);
    b.output("y");
    INFO(c.op << " " << shape_str(c.x));
    check_model(b, {c.x});
  }
  OnnxBuilder g;
  g.input("x", {2, 5, 7, 3});
  g.node("GlobalAveragePool", {"x"}, {"y"});
  g.output("y");
  check_model(g, {{2, 5, 7, 3}});
}

TEST_CASE("GPU element-wise functions and their gradients") {
  struct UnaryCase {
    const char* op;
    std::vector<OnnxBuilder::Attr> attrs;
  };
  const UnaryCase cases[] = {
      {"Relu", {}},
      {"Sigmoid", {}},
      {"Tanh", {}},
      {"HardSigmoid",
       {OnnxBuilder::float_attr("alpha", 0.3f), OnnxBuilder::float_attr("beta", 0.4f)}},
      {"LeakyRelu", {OnnxBuilder::float_attr("alpha", 0.1f)}},
      {"Elu", {OnnxBuilder::float_attr("alpha", 0.7f)}},
      {"HardSwish", {}},
      {"Abs", {}},
      {"Neg", {}},
      {"Exp", {}},
  };
  for (const UnaryCase& c : cases) {
    OnnxBuilder b(14);
    b.input("x", {3, 1000});  // 3000 elements: a partial last workgroup
    b.node(c.op, {"x"}, {"y"}, c.attrs);
    b.output("y");
    INFO(c.op);
    check_model(b, {{3, 1000}});
  }
  OnnxBuilder clip;
  clip.input("x", {2, 300});
  clip.initializer("lo", Tensor::scalar(-0.5f));
  clip.initializer("hi", Tensor::scalar(0.7f));
  clip.node("Clip", {"x", "lo", "hi"}, {"y"});
  clip.output("y");
  check_model(clip, {{2, 300}});
}

TEST_CASE("GPU binary operators with broadcasting and their gradients") {
  struct BinaryCase {
    const char* op;
    Shape a, b;
  };
  const BinaryCase cases[] = {
      {"Add", {2, 3, 5, 7}, {2, 3, 5, 7}},
      {"Add", {2, 3, 5, 7}, {1, 3, 1, 1}},
      {"Sub", {4, 1, 6}, {5, 1}},
      {"Mul", {2, 6, 4, 4}, {2, 6, 1, 1}},
      {"Mul", {3, 7}, {7}},
      {"Div", {2, 3, 4}, {1, 3, 1}},
  };
  for (const BinaryCase& c : cases) {
    OnnxBuilder b;
    b.input("a", c.a);
    b.input("b", c.b);
    b.node(c.op, {"a", "b"}, {"y"});
    b.output("y");
    INFO(c.op << " " << shape_str(c.a) << " " << shape_str(c.b));
    Shape bs = c.b;
    check_model(b, {c.a, bs});
  }
}

TEST_CASE("GPU BatchNormalization, Concat and Flatten with their gradients") {
  OnnxBuilder b;
  b.input("x", {2, 6, 5, 5});
  b.initializer("s", random_tensor({6}, 11));
  b.initializer("o", random_tensor({6}, 12));
  b.initializer("m", random_tensor({6}, 13));
  b.initializer("v", random_tensor({6}, 14, 1.0f, true));
  b.node("BatchNormalization", {"x", "s", "o", "m", "v"}, {"n"});
  b.input("z", {2, 3, 5, 5});
  b.node("Concat", {"n", "z"}, {"c"}, {OnnxBuilder::int_attr("axis", 1)});
  b.node("Flatten", {"c"}, {"y"});
  b.output("y");
  check_model(b, {{2, 6, 5, 5}, {2, 3, 5, 5}});
}

TEST_CASE("GPU Softmax and LogSoftmax along inner, middle and coerced axes, with gradients") {
  struct SoftmaxCase {
    const char* op;
    int opset;
    Shape x;
    int64_t axis;
  };
  const SoftmaxCase cases[] = {
      {"Softmax", 13, {4, 1000}, -1},     // 4 rows of a classifier's width
      {"Softmax", 13, {3, 7, 5}, 1},      // a middle axis: strided rows
      {"Softmax", 11, {2, 3, 4}, 1},      // before opset 13: normalised over 3·4 together
      {"LogSoftmax", 13, {5, 3, 3}, 0},   // the outermost axis
      {"LogSoftmax", 13, {300, 11}, -1},  // 300 rows: more than one workgroup
  };
  for (const SoftmaxCase& c : cases) {
    OnnxBuilder b(c.opset);
    b.input("x", c.x);
    b.node(c.op, {"x"}, {"y"}, {OnnxBuilder::int_attr("axis", c.axis)});
    b.output("y");
    INFO(c.op << " opset " << c.opset << " " << shape_str(c.x) << " axis " << c.axis);
    check_model(b, {c.x});
  }
}

TEST_CASE("GPU reductions (ReduceSum, ReduceMean, ReduceMax, GlobalMaxPool) with gradients") {
  const Shape x{2, 5, 3, 4};
  {  // ReduceSum from opset 13: axes as a constant int64 input, keepdims 0.
    OnnxBuilder b(13);
    b.input("x", x);
    b.initializer("axes", Tensor::from_i64({2}, {1, -1}));
    b.node("ReduceSum", {"x", "axes"}, {"y"}, {OnnxBuilder::int_attr("keepdims", 0)});
    b.output("y");
    check_model(b, {x});
  }
  {  // ReduceSum of everything (no axes).
    OnnxBuilder b(13);
    b.input("x", x);
    b.node("ReduceSum", {"x"}, {"y"});
    b.output("y");
    check_model(b, {x});
  }
  {  // ReduceMean by attribute over the spatial axes, then a Reshape by a constant shape.
    OnnxBuilder b(11);
    b.input("x", x);
    b.node("ReduceMean", {"x"}, {"m"}, {OnnxBuilder::ints("axes", {2, 3})});
    b.initializer("shape", Tensor::from_i64({2}, {2, -1}));
    b.node("Reshape", {"m", "shape"}, {"y"});
    b.output("y");
    check_model(b, {x});
  }
  // Maxima after a Clip, so that many elements tie: ReduceMax shares the gradient among them,
  // GlobalMaxPool gives it to the first.
  for (const char* op : {"ReduceMax", "GlobalMaxPool"}) {
    OnnxBuilder b(11);
    b.input("x", x);
    b.initializer("lo", Tensor::scalar(-0.2f));
    b.initializer("hi", Tensor::scalar(0.3f));
    b.node("Clip", {"x", "lo", "hi"}, {"c"});
    const bool reduce = std::string(op) == "ReduceMax";
    b.node(op, {"c"}, {"y"},
           reduce ? std::vector<OnnxBuilder::Attr>{OnnxBuilder::ints("axes", {1})}
                  : std::vector<OnnxBuilder::Attr>{});
    b.output("y");
    INFO(op);
    check_model(b, {x});
  }
}

TEST_CASE("an operator without a GPU kernel runs on the CPU between GPU nodes") {
  OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.initializer("w", random_tensor({4, 3, 3, 3}, 15));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("LRN", {"c"}, {"s"}, {OnnxBuilder::int_attr("size", 3)});  // no WGSL kernel
  b.node("GlobalAveragePool", {"s"}, {"y"});
  b.output("y");
  // LRN once forward-only, once recorded, once for its gradient.
  Check check;
  check.cpu_nodes = 3;
  check_model(b, {{1, 3, 8, 8}}, check);
}

TEST_CASE("the buffer pool reuses freed buffers across runs") {
  OnnxBuilder b;
  b.input("x", {1, 4, 16, 16});
  b.node("Relu", {"x"}, {"r"});
  b.node("Sigmoid", {"r"}, {"y"});
  b.output("y");
  Engine e = engine_of(b);
  e.set_backend(std::make_shared<gpu::WebGpuBackend>());
  const Tensor x = random_tensor({1, 4, 16, 16}, 1);
  e.forward({x});
  const size_t pooled = gpu::Context::get().pooled_bytes();
  for (int i = 0; i < 5; ++i) e.forward({x});
  CHECK(gpu::Context::get().pooled_bytes() == pooled);  // no growth: buffers come back
}

}  // namespace
}  // namespace heatlens
