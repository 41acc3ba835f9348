// Every deterministic explanation method (and RISE with a fixed seed), every LRP rule and every
// composite against the PyTorch references of tests/golden/make_explainer_goldens.py on three
// networks (plain CNN, BatchNorm + residual CNN, depthwise CNN): max |heatlens − torch| / max
// |torch| ≤ 1e-3.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "explain/method.h"
#include "media/npy.h"

namespace {

const std::string kDir = std::string(HEATLENS_SOURCE_DIR) + "/tests/golden/explainers/";

}  // namespace

TEST_CASE("explanation methods match the PyTorch references", "[explain][golden]") {
  std::set<std::string> methods_seen;
  for (const char* net : {"plain_cnn", "residual_cnn", "depthwise_cnn"}) {
    const std::string dir = kDir + net + "/";
    std::ifstream f(dir + "cases.json");
    REQUIRE(f.good());
    const nlohmann::json spec = nlohmann::json::parse(f);
    heatlens::Engine engine = heatlens::Engine::load_file(dir + "model.onnx", 2);
    heatlens::ExplainModel model(engine, heatlens::ModelCard{});
    const heatlens::Tensor x = heatlens::read_npy(dir + "input.npy");
    for (const auto& c : spec.at("cases")) {
      const std::string method = c.at("method");
      methods_seen.insert(method +
                          (c.at("params").contains("rule")
                               ? ":" + c.at("params").at("rule").get<std::string>()
                               : "") +
                          (c.at("params").contains("composite")
                               ? ":" + c.at("params").at("composite").get<std::string>()
                               : ""));
      std::map<std::string, std::string> params =
          c.at("params").get<std::map<std::string, std::string>>();
      heatlens::TargetSpec target;
      target.class_index = spec.at("target");
      heatlens::Progress progress;
      INFO(net << " / " << c.at("file").get<std::string>());
      heatlens::Attribution a = heatlens::explain(model, x, method, target, params, progress);
      const heatlens::Tensor ref = heatlens::read_npy(dir + c.at("file").get<std::string>());
      REQUIRE(a.relevance.shape() == ref.shape());
      double diff = 0, scale = 0;
      for (int64_t i = 0; i < ref.numel(); ++i) {
        diff = std::max(diff, static_cast<double>(std::fabs(a.relevance.f32()[i] - ref.f32()[i])));
        scale = std::max(scale, static_cast<double>(std::fabs(ref.f32()[i])));
      }
      INFO("max difference " << diff << " relative to " << scale);
      CHECK(scale > 0);
      CHECK(diff <= 1e-3 * scale);
    }
  }
  REQUIRE(methods_seen.count("occlusion"));
  REQUIRE(methods_seen.count("rise"));
  // Every LRP rule but z^B (input layer only, covered by the composites) and every composite.
  for (const char* rule : {"0", "epsilon", "gamma", "alpha-beta", "zplus", "flat", "wsquare"}) {
    REQUIRE(methods_seen.count(std::string("lrp:") + rule));
  }
  for (const char* c : {"epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box",
                        "epsilon-alpha2-beta1", "epsilon-alpha2-beta1-flat"}) {
    REQUIRE(methods_seen.count(std::string("lrp:") + c));
  }
}
