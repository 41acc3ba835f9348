// Finite-difference checks of every operator's VJP: for a random seed s, the gradient of
// f(x) = Σ s·y(x) from the engine must match central differences (f(x + h·e_i) −
// f(x − h·e_i)) / 2h, accumulated in double precision, for every input element. Inputs are
// drawn away from kinks (ReLU at 0, ties in max pooling, clip bounds).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>

#include "engine/engine.h"
#include "onnx_builder.h"

using heatlens::Engine;
using heatlens::Shape;
using heatlens::Tensor;
using heatlens::Tensors;
using heatlens::test::OnnxBuilder;

namespace {

enum class Values { normal, positive, away_from_zero, distinct, unit_interval };

struct Case {
  std::string name;
  std::string op;
  std::vector<Shape> inputs;  // differentiable float inputs x0, x1, ...
  std::vector<OnnxBuilder::Attr> attrs;
  std::vector<std::pair<std::string, Tensor>> constants;  // extra inputs, in order after x*
  int64_t opset = 13;
  Values values = Values::normal;
  int outputs = 1;
};

Tensor random_input(const Shape& shape, Values kind, std::mt19937& rng) {
  Tensor t(shape);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  const int64_t n = t.numel();
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  for (int64_t i = 0; i < n; ++i) {
    float v = normal(rng);
    switch (kind) {
      case Values::normal:
        break;
      case Values::positive:
        v = 0.5f + 1.5f * uni(rng);
        break;
      case Values::away_from_zero:
        v = (uni(rng) < 0.5f ? -1.0f : 1.0f) * (0.1f + 1.5f * uni(rng));
        break;
      case Values::distinct:
        v = -2.0f + 4.0f * static_cast<float>(perm[i]) / static_cast<float>(n);
        break;
      case Values::unit_interval:
        v = 0.1f + 0.8f * uni(rng);
        break;
    }
    t.f32()[i] = v;
  }
  return t;
}

void check_case(const Case& c) {
  INFO("case " << c.name);
  OnnxBuilder b(c.opset);
  std::vector<std::string> names;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    names.push_back("x" + std::to_string(i));
    b.input(names.back(), c.inputs[i]);
  }
  std::vector<std::string> node_inputs = names;
  for (const auto& [name, value] : c.constants) {
    b.initializer(name, value);
    node_inputs.push_back(name);
  }
  std::vector<std::string> outs;
  for (int k = 0; k < c.outputs; ++k) outs.push_back("y" + std::to_string(k));
  b.node(c.op, node_inputs, outs, c.attrs);
  for (const auto& o : outs) b.output(o);
  std::vector<uint8_t> bytes = b.bytes();
  Engine engine = Engine::load_bytes(bytes.data(), bytes.size(), 1);

  std::mt19937 rng(1234);
  Tensors x;
  for (const Shape& s : c.inputs) x.push_back(random_input(s, c.values, rng));
  heatlens::ForwardResult fwd = engine.forward(x, {true, {}});
  Tensors seeds;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const Tensor& y : fwd.outputs) {
    Tensor s(y.shape());
    for (int64_t i = 0; i < s.numel(); ++i) s.f32()[i] = normal(rng);
    seeds.push_back(s);
  }
  heatlens::VjpResult g = engine.vjp(fwd, seeds);
  auto objective = [&](const Tensors& in) {
    heatlens::ForwardResult r = engine.forward(in);
    double f = 0;
    for (size_t k = 0; k < r.outputs.size(); ++k) {
      for (int64_t i = 0; i < r.outputs[k].numel(); ++i) {
        f += static_cast<double>(seeds[k].f32()[i]) * r.outputs[k].f32()[i];
      }
    }
    return f;
  };
  const float h = 2e-3f;
  for (size_t a = 0; a < x.size(); ++a) {
    REQUIRE(g.input_grads[a].shape() == x[a].shape());
    for (int64_t i = 0; i < x[a].numel(); ++i) {
      Tensors plus = x, minus = x;
      plus[a] = x[a].clone();
      minus[a] = x[a].clone();
      plus[a].f32()[i] += h;
      minus[a].f32()[i] -= h;
      const double fd = (objective(plus) - objective(minus)) / (2.0 * h);
      const double an = g.input_grads[a].f32()[i];
      INFO("input " << a << " element " << i << ": analytic " << an << ", finite difference "
                    << fd);
      REQUIRE(std::fabs(an - fd) <= 4e-3 + 1e-2 * std::fabs(fd));
    }
  }
}

Tensor ints(const std::vector<int64_t>& v) {
  return Tensor::from_i64({static_cast<int64_t>(v.size())}, v);
}
Tensor floats(const Shape& s, const std::vector<float>& v) {
  return Tensor::from_f32(s, v);
}

using A = OnnxBuilder;

}  // namespace

TEST_CASE("element-wise activations have correct gradients", "[ops][gradient]") {
  const Shape s = {2, 3, 4};
  std::vector<Case> cases = {
      {"relu", "Relu", {s}, {}, {}, 13, Values::away_from_zero},
      {"leaky_relu",
       "LeakyRelu",
       {s},
       {A::float_attr("alpha", 0.1f)},
       {},
       13,
       Values::away_from_zero},
      {"elu", "Elu", {s}, {A::float_attr("alpha", 0.7f)}, {}, 13, Values::away_from_zero},
      {"selu", "Selu", {s}, {}, {}, 13, Values::away_from_zero},
      {"sigmoid", "Sigmoid", {s}},
      {"tanh", "Tanh", {s}},
      {"erf", "Erf", {s}},
      {"exp", "Exp", {s}},
      {"log", "Log", {s}, {}, {}, 13, Values::positive},
      {"sqrt", "Sqrt", {s}, {}, {}, 13, Values::positive},
      {"abs", "Abs", {s}, {}, {}, 13, Values::away_from_zero},
      {"neg", "Neg", {s}},
      {"hard_sigmoid",
       "HardSigmoid",
       {s},
       {A::float_attr("alpha", 0.3f), A::float_attr("beta", 0.4f)},
       {},
       13,
       Values::unit_interval},
      {"hard_swish", "HardSwish", {s}, {}, {}, 14, Values::away_from_zero},
      {"identity", "Identity", {s}},
      {"dropout", "Dropout", {s}},
      {"cast_float", "Cast", {s}, {A::int_attr("to", 1)}},
      {"clip_inputs",
       "Clip",
       {s},
       {},
       {{"lo", Tensor::scalar(-0.45f)}, {"hi", Tensor::scalar(0.55f)}},
       13,
       Values::away_from_zero},
      {"clip_attrs",
       "Clip",
       {s},
       {A::float_attr("min", -0.45f), A::float_attr("max", 0.55f)},
       {},
       6,
       Values::away_from_zero},
  };
  for (const Case& c : cases) check_case(c);
}

TEST_CASE("broadcasting binary operators have correct gradients", "[ops][gradient]") {
  std::vector<Case> cases = {
      {"add", "Add", {{2, 3, 4}, {3, 1}}},
      {"sub", "Sub", {{2, 1, 4}, {3, 4}}},
      {"mul", "Mul", {{2, 3, 4}, {4}}},
      {"div", "Div", {{2, 3, 4}, {1, 3, 1}}, {}, {}, 13, Values::positive},
      {"pow", "Pow", {{2, 3}, {2, 3}}, {}, {}, 13, Values::positive},
      {"prelu", "PRelu", {{2, 3, 2, 2}, {3, 1, 1}}, {}, {}, 13, Values::away_from_zero},
  };
  for (const Case& c : cases) check_case(c);
}

TEST_CASE("linear layers have correct gradients", "[ops][gradient]") {
  std::vector<Case> cases = {
      {"conv_pads_strides",
       "Conv",
       {{2, 3, 7, 6}, {4, 3, 3, 2}},
       {A::ints("pads", {1, 0, 2, 1}), A::ints("strides", {2, 1})}},
      {"conv_dilation_bias",
       "Conv",
       {{1, 2, 7, 7}, {3, 2, 3, 3}, {3}},
       {A::ints("dilations", {2, 1})}},
      {"conv_groups",
       "Conv",
       {{1, 4, 5, 5}, {6, 2, 3, 3}},
       {A::int_attr("group", 2), A::string_attr("auto_pad", "SAME_UPPER")}},
      {"conv_depthwise",
       "Conv",
       {{1, 3, 6, 5}, {3, 1, 3, 3}},
       {A::int_attr("group", 3), A::ints("pads", {1, 1, 1, 1}), A::ints("strides", {2, 2})}},
      {"conv_1d",
       "Conv",
       {{2, 2, 9}, {3, 2, 4}},
       {A::ints("strides", {2}), A::ints("pads", {1, 2})}},
      {"conv_pointwise", "Conv", {{1, 5, 3, 4}, {2, 5, 1, 1}}},
      // Stride 1 with padding: more map positions than filters, and fewer.
      {"conv_stride1_flipped",
       "Conv",
       {{1, 3, 6, 5}, {4, 3, 3, 3}, {4}},
       {A::ints("pads", {1, 1, 1, 1})}},
      {"conv_stride1_many_filters",
       "Conv",
       {{1, 3, 3, 2}, {8, 3, 3, 3}},
       {A::ints("pads", {1, 1, 1, 1})}},
      {"conv_transpose",
       "ConvTranspose",
       {{1, 2, 3, 4}, {2, 3, 3, 3}},
       {A::ints("strides", {2, 2}), A::ints("pads", {1, 0, 0, 1}),
        A::ints("output_padding", {1, 0})}},
      {"conv_transpose_groups_bias",
       "ConvTranspose",
       {{1, 4, 3, 3}, {4, 1, 2, 2}, {2}},
       {A::int_attr("group", 2)}},
      {"gemm",
       "Gemm",
       {{3, 4}, {4, 5}, {5}},
       {A::float_attr("alpha", 0.7f), A::float_attr("beta", 1.3f)}},
      {"gemm_transposed",
       "Gemm",
       {{4, 3}, {5, 4}, {3, 5}},
       {A::int_attr("transA", 1), A::int_attr("transB", 1)}},
      {"matmul_batched", "MatMul", {{2, 1, 3, 4}, {3, 4, 2}}},
      {"matmul_vector", "MatMul", {{4}, {2, 4, 3}}},
  };
  for (const Case& c : cases) check_case(c);
}

TEST_CASE("pooling and normalization have correct gradients", "[ops][gradient]") {
  std::vector<Case> cases = {
      {"max_pool",
       "MaxPool",
       {{1, 2, 6, 7}},
       {A::ints("kernel_shape", {3, 2}), A::ints("strides", {2, 2}), A::ints("pads", {1, 0, 1, 1})},
       {},
       13,
       Values::distinct},
      {"max_pool_ceil_dilation",
       "MaxPool",
       {{1, 1, 7, 7}},
       {A::ints("kernel_shape", {2, 2}), A::ints("strides", {2, 2}), A::ints("dilations", {2, 1}),
        A::int_attr("ceil_mode", 1)},
       {},
       13,
       Values::distinct},
      {"average_pool",
       "AveragePool",
       {{1, 2, 5, 6}},
       {A::ints("kernel_shape", {3, 3}), A::ints("strides", {2, 2}),
        A::ints("pads", {1, 1, 1, 1})}},
      {"average_pool_include_pad_ceil",
       "AveragePool",
       {{1, 1, 6, 5}},
       {A::ints("kernel_shape", {2, 3}), A::ints("strides", {2, 2}), A::ints("pads", {1, 1, 0, 0}),
        A::int_attr("count_include_pad", 1), A::int_attr("ceil_mode", 1)}},
      {"global_average_pool", "GlobalAveragePool", {{2, 3, 3, 4}}},
      {"global_max_pool", "GlobalMaxPool", {{2, 3, 3, 4}}, {}, {}, 13, Values::distinct},
      {"batch_norm",
       "BatchNormalization",
       {{2, 3, 2, 2}},
       {A::float_attr("epsilon", 1e-3f)},
       {{"scale", floats({3}, {0.5f, -1.2f, 2.0f})},
        {"bias", floats({3}, {0.1f, 0.2f, -0.3f})},
        {"mean", floats({3}, {0.3f, -0.1f, 0.0f})},
        {"var", floats({3}, {0.8f, 1.5f, 0.3f})}}},
      {"instance_norm",
       "InstanceNormalization",
       {{2, 2, 3, 3}},
       {},
       {{"scale", floats({2}, {0.7f, -1.1f})}, {"bias", floats({2}, {0.2f, 0.4f})}}},
      {"lrn",
       "LRN",
       {{1, 5, 2, 2}},
       {A::int_attr("size", 3), A::float_attr("alpha", 0.2f), A::float_attr("beta", 0.6f),
        A::float_attr("bias", 1.5f)}},
      {"softmax", "Softmax", {{2, 3, 4}}, {A::int_attr("axis", 1)}},
      {"softmax_coerced", "Softmax", {{2, 3, 4}}, {A::int_attr("axis", 1)}, {}, 11},
      {"log_softmax", "LogSoftmax", {{2, 5}}},
      {"reduce_mean", "ReduceMean", {{2, 3, 4}}, {A::ints("axes", {0, 2})}},
      {"reduce_sum", "ReduceSum", {{2, 3, 4}}, {A::int_attr("keepdims", 0)}, {{"axes", ints({1})}}},
      {"reduce_max", "ReduceMax", {{2, 3, 4}}, {A::ints("axes", {-1})}, {}, 13, Values::distinct},
  };
  for (const Case& c : cases) check_case(c);
}

TEST_CASE("data movement operators have correct gradients", "[ops][gradient]") {
  std::vector<Case> cases = {
      {"flatten", "Flatten", {{2, 3, 2, 2}}, {A::int_attr("axis", 2)}},
      {"reshape", "Reshape", {{2, 3, 4}}, {}, {{"shape", ints({0, -1, 2})}}},
      {"transpose", "Transpose", {{2, 3, 4}}, {A::ints("perm", {2, 0, 1})}},
      {"concat", "Concat", {{2, 1, 3}, {2, 2, 3}}, {A::int_attr("axis", 1)}},
      // One run per input (the gradients are views of the output's).
      {"concat_views", "Concat", {{1, 1, 3}, {1, 2, 3}, {1, 1, 3}}, {A::int_attr("axis", 1)}},
      {"concat_rows", "Concat", {{2, 3}, {1, 3}}, {A::int_attr("axis", 0)}},
      {"split",
       "Split",
       {{2, 5}},
       {A::int_attr("axis", 1)},
       {{"split", ints({2, 3})}},
       13,
       Values::normal,
       2},
      {"slice",
       "Slice",
       {{4, 6}},
       {},
       {{"starts", ints({3, 1})},
        {"ends", ints({0, 6})},
        {"axes", ints({0, 1})},
        {"steps", ints({-1, 2})}}},
      {"squeeze", "Squeeze", {{2, 1, 3}}, {}, {{"axes", ints({1})}}},
      {"unsqueeze", "Unsqueeze", {{2, 3}}, {}, {{"axes", ints({0, 3})}}},
      {"pad_constant",
       "Pad",
       {{1, 2, 3, 3}},
       {},
       {{"pads", ints({0, 0, 1, 2, 0, 0, 2, 0})}, {"value", Tensor::scalar(0.5f)}}},
      {"pad_reflect",
       "Pad",
       {{1, 1, 4, 4}},
       {A::string_attr("mode", "reflect")},
       {{"pads", ints({0, 0, 2, 1, 0, 0, 1, 3})}}},
      {"pad_edge",
       "Pad",
       {{1, 1, 3, 3}},
       {A::string_attr("mode", "edge")},
       {{"pads", ints({0, 0, 2, 2, 0, 0, 1, 1})}}},
      {"gather",
       "Gather",
       {{4, 3}},
       {A::int_attr("axis", 0)},
       {{"idx", Tensor::from_i64({2, 2}, {3, -1, 0, 3})}}},
      {"resize_linear",
       "Resize",
       {{1, 1, 3, 4}},
       {A::string_attr("mode", "linear")},
       {{"roi", Tensor({0})}, {"scales", floats({4}, {1, 1, 2.0f, 1.5f})}}},
      {"resize_nearest_sizes",
       "Resize",
       {{1, 2, 3, 3}},
       {A::string_attr("mode", "nearest")},
       {{"roi", Tensor({0})}, {"scales", Tensor({0})}, {"sizes", ints({1, 2, 5, 4})}}},
      {"upsample",
       "Upsample",
       {{1, 1, 2, 3}},
       {A::string_attr("mode", "linear")},
       {{"scales", floats({4}, {1, 1, 2, 2})}},
       9},
  };
  for (const Case& c : cases) check_case(c);
}

namespace {

// Gradient of Σ y for one op on a given input (a single-input model).
std::vector<float> sum_gradient(const std::string& op, const Tensor& x,
                                const std::vector<OnnxBuilder::Attr>& attrs,
                                const std::vector<std::pair<std::string, Tensor>>& constants = {}) {
  OnnxBuilder b(13);
  b.input("x", x.shape());
  std::vector<std::string> inputs = {"x"};
  for (const auto& [name, value] : constants) {
    b.initializer(name, value);
    inputs.push_back(name);
  }
  b.node(op, inputs, {"y"}, attrs);
  b.output("y");
  std::vector<uint8_t> bytes = b.bytes();
  Engine e = Engine::load_bytes(bytes.data(), bytes.size(), 1);
  auto fwd = e.forward({x}, {true, {}});
  Tensor seed(fwd.outputs[0].shape());
  for (int64_t i = 0; i < seed.numel(); ++i) seed.f32()[i] = 1.0f;
  return e.vjp(fwd, {seed}).input_grads[0].to_f32_vector();
}

}  // namespace

TEST_CASE("gradients at kinks follow PyTorch's conventions", "[ops][gradient]") {
  // ReLU at exactly 0: gradient 0.
  REQUIRE(sum_gradient("Relu", Tensor::from_f32({3}, {-1.0f, 0.0f, 2.0f}), {}) ==
          std::vector<float>{0, 0, 1});
  // Clip at its bounds: the gradient passes (bounds included).
  REQUIRE(sum_gradient("Clip", Tensor::from_f32({4}, {-1.0f, 0.0f, 6.0f, 7.0f}), {},
                       {{"lo", Tensor::scalar(0.0f)}, {"hi", Tensor::scalar(6.0f)}}) ==
          std::vector<float>{0, 1, 1, 0});
  // MaxPool ties: the first maximum in scan order takes the whole gradient.
  REQUIRE(sum_gradient("MaxPool", Tensor::from_f32({1, 1, 2, 2}, {5, 5, 5, 5}),
                       {A::ints("kernel_shape", {2, 2})}) == std::vector<float>{1, 0, 0, 0});
  // LeakyReLU at 0 takes the negative slope.
  REQUIRE(sum_gradient("LeakyRelu", Tensor::from_f32({1}, {0.0f}),
                       {A::float_attr("alpha", 0.25f)}) == std::vector<float>{0.25f});
  // ReduceMax ties share the gradient equally (PyTorch's amax).
  REQUIRE(sum_gradient("ReduceMax", Tensor::from_f32({1, 4}, {3, 1, 3, 2}),
                       {A::ints("axes", {1})}) == std::vector<float>{0.5f, 0, 0.5f, 0});
}
