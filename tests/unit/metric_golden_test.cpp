// The evaluation metrics against the NumPy/PyTorch references of
// tests/golden/make_metric_goldens.py (plain CNN, its gradient map, a fixed box): values and
// curves within 1e-4 relative.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>

#include "eval/metric.h"
#include "media/npy.h"

namespace {

const std::string kDir = std::string(HEATLENS_SOURCE_DIR) + "/tests/golden/";

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-4 * std::max(1.0, std::fabs(b));
}

}  // namespace

TEST_CASE("metrics match the NumPy/PyTorch references", "[eval][golden]") {
  std::ifstream f(kDir + "metrics/cases.json");
  REQUIRE(f.good());
  const nlohmann::json spec = nlohmann::json::parse(f);
  heatlens::Engine engine =
      heatlens::Engine::load_file(kDir + "explainers/plain_cnn/model.onnx", 1);
  heatlens::ExplainModel model(engine, heatlens::ModelCard{});
  const heatlens::Tensor x = heatlens::read_npy(kDir + "explainers/plain_cnn/input.npy");
  heatlens::Attribution a;
  a.relevance = heatlens::read_npy(kDir + "explainers/plain_cnn/gradient.npy");
  a.method = "gradient";
  a.target.class_index = spec.at("target");
  std::vector<uint8_t> box(16 * 16, 0);
  const auto b = spec.at("box").get<std::vector<int>>();
  for (int y = b[1]; y < b[3]; ++y)
    for (int xx = b[0]; xx < b[2]; ++xx) box[y * 16 + xx] = 1;
  std::set<std::string> seen;
  for (const auto& c : spec.at("cases")) {
    const std::string name = c.at("metric");
    seen.insert(name);
    INFO(name << " " << c.at("params").dump());
    const heatlens::MetricInfo& m = heatlens::find_metric(name);
    heatlens::Progress progress;
    // Metrics that re-run a method may name another method and its map.
    heatlens::Attribution map = a;
    if (c.contains("method")) map.method = c.at("method");
    if (c.contains("relevance"))
      map.relevance = heatlens::read_npy(kDir + "metrics/" + c.at("relevance").get<std::string>());
    heatlens::EvalInput in{model, x, map, {}, box, progress};
    const heatlens::MetricResult r =
        m.run(in, heatlens::ParamValues::resolve(
                      m.params, c.at("params").get<std::map<std::string, std::string>>()));
    INFO("heatlens " << r.value << ", reference " << c.at("value").get<double>());
    // Re-run gradients of a ReLU net are piecewise constant: a float32 activation that lands on
    // the other side of zero than in float64 moves max-sensitivity a little.
    const double tol = name == "max-sensitivity" ? 2e-2 : 1e-4;
    CHECK(std::fabs(r.value - c.at("value").get<double>()) <=
          tol * std::max(1e-2, std::fabs(c.at("value").get<double>())));
    if (c.contains("curve_y")) {
      const auto ys = c.at("curve_y").get<std::vector<double>>();
      const auto xs = c.at("curve_x").get<std::vector<double>>();
      REQUIRE(r.curve_y_values.size() == ys.size());
      for (size_t i = 0; i < ys.size(); ++i) {
        CHECK(close(r.curve_x_values[i], xs[i]));
        CHECK(close(r.curve_y_values[i], ys[i]));
      }
    }
    if (c.contains("extras")) {
      for (auto it = c.at("extras").begin(); it != c.at("extras").end(); ++it)
        CHECK(close(r.extras.at(it.key()), it.value().get<double>()));
    }
  }
  // Every metric but the cascading randomisation (tested by hand in metric_test.cpp).
  for (const heatlens::MetricInfo& m : heatlens::metric_registry())
    if (m.name != "randomisation") CHECK(seen.count(m.name));
}
