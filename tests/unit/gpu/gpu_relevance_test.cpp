// LRP on the WebGPU backend (gpu/device_lrp.cpp) against the CPU: every rule and composite on
// a small network with biases, negative inputs, a skip connection (Add) and pooling, so that
// every term of every rule is non-zero; relevance within 1e-4 relative, the per-layer sums
// too, every node on the GPU. A linear layer without GPU kernels (MatMul) applies its rule on
// the CPU between GPU layers.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "gpu/webgpu_backend.h"
#include "gpu_test_util.h"
#include "test_models.h"

namespace heatlens {
namespace {

using test::OnnxBuilder;
using test::random_tensor;
using test::relative_error;

// Conv(+b) → Relu → MaxPool → Conv(+b) → Add(skip) → Relu → AveragePool → Flatten → Gemm(+b).
OnnxBuilder residual_cnn() {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 9, 9});
  b.initializer("w1", random_tensor({8, 3, 3, 3}, 11, 0.4f));
  b.initializer("b1", random_tensor({8}, 12, 0.2f));
  b.initializer("w2", random_tensor({8, 8, 3, 3}, 13, 0.3f));
  b.initializer("b2", random_tensor({8}, 14, 0.2f));
  b.initializer("fc", random_tensor({5, 32}, 15, 0.4f));
  b.initializer("fb", random_tensor({5}, 16, 0.2f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv1");
  b.node("Relu", {"c1"}, {"r1"});
  b.node("MaxPool", {"r1"}, {"p1"},
         {OnnxBuilder::ints("kernel_shape", {2, 2}), OnnxBuilder::ints("strides", {2, 2})});
  b.node("Conv", {"p1", "w2", "b2"}, {"c2"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})}, "conv2");
  b.node("Add", {"c2", "p1"}, {"s"});
  b.node("Relu", {"s"}, {"r2"});
  b.node("AveragePool", {"r2"}, {"p2"},
         {OnnxBuilder::ints("kernel_shape", {2, 2}), OnnxBuilder::ints("strides", {2, 2})});
  b.node("Flatten", {"p2"}, {"f"});
  b.node("Gemm", {"f", "fc", "fb"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)}, "fc");
  b.output("logits");
  return b;
}

struct Pair {
  Engine cpu, gpu;
  std::shared_ptr<gpu::WebGpuBackend> backend = std::make_shared<gpu::WebGpuBackend>();
  explicit Pair(const OnnxBuilder& b) : cpu(test::load(b)), gpu(test::load(b)) {
    gpu.set_backend(backend);
  }
};

void compare(Pair& p, const Tensor& x, const std::map<std::string, std::string>& params,
             int64_t cpu_nodes) {
  INFO("LRP parameters: " << [&] {
    std::string s;
    for (const auto& [k, v] : params) s += k + "=" + v + " ";
    return s;
  }());
  p.backend->reset_stats();
  const Attribution want = test::run(p.cpu, x, "lrp", params, 2);
  const Attribution got = test::run(p.gpu, x, "lrp", params, 2);
  CHECK(relative_error(got.relevance, want.relevance) <= 1e-4);
  REQUIRE(got.layer_sums.size() == want.layer_sums.size());
  double ref = 1e-6;
  for (const auto& [name, sum] : want.layer_sums) ref = std::max(ref, std::fabs(sum));
  for (size_t k = 0; k < want.layer_sums.size(); ++k) {
    CHECK(got.layer_sums[k].first == want.layer_sums[k].first);
    CHECK(std::fabs(got.layer_sums[k].second - want.layer_sums[k].second) <= 1e-4 * ref);
  }
  const BackendStats s = p.backend->stats();
  CHECK(s.cpu_nodes == cpu_nodes);
  CHECK(s.device_nodes > 0);
}

TEST_CASE("GPU LRP: every rule and composite matches the CPU") {
  Pair p(residual_cnn());
  const Tensor x = random_tensor({1, 3, 9, 9}, 21);
  const std::map<std::string, std::string> bounds = {{"low", "-3"}, {"high", "3"}};
  for (const char* rule : {"0", "epsilon", "gamma", "alpha-beta", "zplus", "flat", "wsquare"}) {
    auto params = bounds;
    params["rule"] = rule;
    if (std::string(rule) == "epsilon") params["epsilon"] = "0.01";
    compare(p, x, params, 0);
  }
  for (const char* composite : {"epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box",
                                "epsilon-alpha2-beta1", "epsilon-alpha2-beta1-flat"}) {
    auto params = bounds;
    params["composite"] = composite;
    compare(p, x, params, 0);
  }
  auto per_node = bounds;
  per_node["node:conv2"] = "gamma";
  per_node["gamma"] = "0.5";
  compare(p, x, per_node, 0);
}

TEST_CASE("GPU LRP: a linear layer without GPU kernels applies its rule on the CPU") {
  OnnxBuilder b(13);
  b.input("x", {1, 2, 5, 5});
  b.initializer("w", random_tensor({4, 2, 3, 3}, 31, 0.5f));
  b.initializer("m", random_tensor({36, 3}, 32, 0.5f));
  b.node("Conv", {"x", "w"}, {"c"}, {}, "conv");
  b.node("Relu", {"c"}, {"r"});
  b.node("Flatten", {"r"}, {"f"});
  b.node("MatMul", {"f", "m"}, {"logits"}, {}, "dense");
  b.output("logits");
  Pair p(b);
  // MatMul runs on the CPU in the prediction that resolves the target, in LRP's forward, and
  // for its rule.
  compare(p, random_tensor({1, 2, 5, 5}, 33), {{"rule", "epsilon"}}, 3);
  CHECK(p.backend->stats().fallbacks.count("MatMul (LRP rule)") == 1);
}

}  // namespace
}  // namespace heatlens
