// Perturbation batches made on the GPU (gpu/device_batches.cpp) against the CPU's: RISE (masks
// upsampled and applied by a kernel, the weighted sums kept on the GPU) and occlusion (windows
// painted by a kernel), on an odd plane with a last, partial batch. The explanations agree
// within 1e-4 relative, and the masked inputs never travel: far fewer bytes go up than a batch
// made on the host would need.
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

// Conv → Relu → GlobalAveragePool → Flatten → Gemm over [N, 3, 9, 11].
OnnxBuilder small_cnn() {
  OnnxBuilder b(13);
  b.input("x", {-1, 3, 9, 11});
  b.initializer("w", random_tensor({6, 3, 3, 3}, 41, 0.5f));
  b.initializer("b", random_tensor({6}, 42, 0.2f));
  b.initializer("fc", random_tensor({5, 6}, 43, 0.5f));
  b.node("Conv", {"x", "w", "b"}, {"c"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c"}, {"r"});
  b.node("GlobalAveragePool", {"r"}, {"g"});
  b.node("Flatten", {"g"}, {"f"});
  b.node("Gemm", {"f", "fc"}, {"logits"}, {OnnxBuilder::int_attr("transB", 1)});
  b.output("logits");
  return b;
}

void compare(const std::string& method, const std::map<std::string, std::string>& params,
             int64_t batches_elements) {
  INFO(method);
  Engine cpu = test::load(small_cnn());
  Engine gpu = test::load(small_cnn());
  auto backend = std::make_shared<gpu::WebGpuBackend>();
  gpu.set_backend(backend);
  const Tensor x = random_tensor({1, 3, 9, 11}, 44);
  const Attribution want = test::run(cpu, x, method, params, 1);
  test::run(gpu, x, method, params, 1);  // model constants go up once
  backend->reset_stats();
  const Attribution got = test::run(gpu, x, method, params, 1);
  CHECK(relative_error(got.relevance, want.relevance) <= 1e-4);
  const BackendStats s = backend->stats();
  CHECK(s.cpu_nodes == 0);
  CHECK(s.device_nodes > 0);
  // Batches made on the host would upload every masked input.
  CHECK(s.bytes_up * 4 < batches_elements * static_cast<int64_t>(sizeof(float)));
}

TEST_CASE("GPU batches: RISE and occlusion inputs made on the GPU match the CPU's") {
  const int64_t example = 3 * 9 * 11;
  compare("rise", {{"masks", "40"}, {"batch-size", "16"}, {"cell", "3"}, {"center", "false"}},
          40 * example);
  compare("rise", {{"masks", "24"}, {"batch-size", "16"}, {"cell", "4"}, {"keep", "0.3"}},
          24 * example);
  compare("rise",
          {{"masks", "20"}, {"batch-size", "8"}, {"obfuscation", "blur"}, {"blur-sigma", "2"}},
          20 * example);
  // 4×5 windows of 3×3 at stride 2 on 9×11.
  compare("occlusion", {{"window", "3"}, {"stride", "2"}, {"baseline", "0.5"}, {"batch-size", "8"}},
          20 * example);
}

}  // namespace
}  // namespace heatlens
