// heatlens against PyTorch on reduced-width versions of the torchvision families
// (tests/golden/make_goldens.py): outputs within 1e-4 and input gradients within 1e-3, as
// max |heatlens − torch| / max |torch| over each tensor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "engine/engine.h"
#include "media/npy.h"

namespace {

const std::string kFixtures = std::string(HEATLENS_SOURCE_DIR) + "/tests/golden/fixtures/";

double relative_error(const heatlens::Tensor& got, const heatlens::Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::fabs(got.f32()[i] - want.f32()[i])));
    max_ref = std::max(max_ref, static_cast<double>(std::fabs(want.f32()[i])));
  }
  return max_diff / std::max(max_ref, 1e-12);
}

}  // namespace

TEST_CASE("engine matches PyTorch on the torchvision families", "[golden]") {
  const char* families[] = {"alexnet_mini",     "vgg_mini",         "resnet_mini",
                            "squeezenet_mini",  "densenet_mini",    "googlenet_mini",
                            "mobilenetv2_mini", "mobilenetv3_mini", "shufflenetv2_mini",
                            "efficientnet_mini"};
  for (const char* family : families) {
    const std::string dir = kFixtures + family + "/";
    INFO("family " << family);
    heatlens::Engine engine = heatlens::Engine::load_file(dir + "model.onnx", 2);
    heatlens::Tensor x = heatlens::read_npy(dir + "input.npy");
    auto fwd = engine.forward({x}, {true, {}});
    const double out_err = relative_error(fwd.outputs[0], heatlens::read_npy(dir + "output.npy"));
    auto grads = engine.vjp(fwd, {heatlens::read_npy(dir + "seed.npy")});
    const double grad_err =
        relative_error(grads.input_grads[0], heatlens::read_npy(dir + "grad.npy"));
    INFO("output error " << out_err << ", gradient error " << grad_err);
    CHECK(out_err <= 1e-4);
    CHECK(grad_err <= 1e-3);
  }
}
