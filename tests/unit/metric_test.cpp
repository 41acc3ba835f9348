// Evaluation metrics on cases computed by hand: localization on a 4×4 map, complexity of
// uniform and one-hot maps, a deletion curve of a linear model, rank statistics, the sanity
// checks' model surgery, and the method × metric table.
#include <catch2/catch.hpp>

#include <cmath>

#include "eval/evaluate.h"
#include "eval/magnitude_phase.h"
#include "onnx_builder.h"
#include "test_models.h"

using heatlens::Attribution;
using heatlens::Engine;
using heatlens::EvalInput;
using heatlens::ExplainModel;
using heatlens::MetricResult;
using heatlens::ModelCard;
using heatlens::Progress;
using heatlens::Tensor;
using heatlens::test::load;
using heatlens::test::OnnxBuilder;
using heatlens::test::tensor;

namespace {

// logits = [x·w, 0] on x [N, 4].
Engine linear_engine(std::vector<float> w) {
  OnnxBuilder b(13);
  b.input("x", {-1, 4});
  b.initializer("w", tensor({4, 2}, {w[0], 0, w[1], 0, w[2], 0, w[3], 0}));
  b.node("MatMul", {"x", "w"}, {"logits"});
  b.output("logits");
  return load(b);
}

MetricResult run_metric(const std::string& name, ExplainModel& model, const Tensor& x,
                        const Attribution& a, std::map<std::string, std::string> params = {},
                        std::optional<std::vector<uint8_t>> box = std::nullopt) {
  const heatlens::MetricInfo& m = heatlens::find_metric(name);
  Progress progress;
  EvalInput in{model, x, a, {}, box, progress};
  return m.run(in, heatlens::ParamValues::resolve(m.params, params));
}

}  // namespace

TEST_CASE("localization metrics on a 4×4 map", "[eval]") {
  Engine e = linear_engine({1, 1, 1, 1});
  ExplainModel model(e, ModelCard{});
  const Tensor x({1, 1, 4, 4});
  Attribution a;
  // Ranks: 15 at (0,0), 14 at (0,1), ... the map counts down in raster order, one negative.
  a.relevance = Tensor({1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) a.relevance.f32()[i] = static_cast<float>(15 - i);
  a.relevance.f32()[15] = -3;
  // Box: the right half (columns 2, 3) — 8 pixels, ranks 2, 3, 6, 7, 10, 11, 14, 15 (0-based).
  std::vector<uint8_t> box(16, 0);
  for (int y = 0; y < 4; ++y) box[y * 4 + 2] = box[y * 4 + 3] = 1;
  // AP = (1/8)·(1/3 + 2/4 + 3/7 + 4/8 + 5/11 + 6/12 + 7/15 + 8/16)
  const double ap =
      (1.0 / 3 + 2.0 / 4 + 3.0 / 7 + 4.0 / 8 + 5.0 / 11 + 6.0 / 12 + 7.0 / 15 + 8.0 / 16) / 8;
  CHECK(run_metric("explainability-mi", model, x, a, {}, box).value == Approx(ap));
  CHECK(run_metric("pointing-game", model, x, a, {}, box).value == 0);
  CHECK(run_metric("pointing-game", model, x, a, {{"tolerance", "2"}}, box).value == 1);
  // Positive mass in the box: 13+12+9+8+5+4+1+0 = 52 of 15+…+1 = 120.
  CHECK(run_metric("relevance-mass", model, x, a, {}, box).value == Approx(52.0 / 120));
  // Top 8 = ranks 0…7: columns 2, 3 of rows 0, 1 → 4 of 8.
  CHECK(run_metric("relevance-rank", model, x, a, {}, box).value == Approx(0.5));
  CHECK_THROWS_WITH(run_metric("relevance-rank", model, x, a), Catch::Contains("--boxes"));
}

TEST_CASE("sparseness and complexity of uniform and one-hot maps", "[eval]") {
  Engine e = linear_engine({1, 1, 1, 1});
  ExplainModel model(e, ModelCard{});
  const Tensor x({1, 4});
  Attribution uniform, one_hot;
  uniform.relevance = tensor({1, 4}, {2, -2, 2, 2});
  one_hot.relevance = tensor({1, 4}, {0, 0, 5, 0});
  CHECK(run_metric("sparseness", model, x, uniform).value == Approx(0).margin(1e-12));
  CHECK(run_metric("sparseness", model, x, one_hot).value == Approx(0.75));  // (n−1)/n
  CHECK(run_metric("complexity", model, x, uniform).value == Approx(std::log(4.0)));
  CHECK(run_metric("complexity", model, x, one_hot).value == Approx(0).margin(1e-12));
}

TEST_CASE("deletion, insertion and AOPC of a linear model by hand", "[eval]") {
  // f = 4·x0 + 3·x1 + 2·x2 + 1·x3 at x = 1; the map ranks x3 first, then x0, x2, x1.
  Engine e = linear_engine({4, 3, 2, 1});
  ExplainModel model(e, ModelCard{});
  const Tensor x = tensor({1, 4}, {1, 1, 1, 1});
  Attribution a;
  a.relevance = tensor({1, 4}, {3, 1, 2, 4});
  const std::map<std::string, std::string> p = {
      {"replacement", "zero"}, {"score", "logit"}, {"steps", "4"}};
  // Deletion: 10, 9 (−x3), 5 (−x0), 3 (−x2), 0.
  MetricResult d = run_metric("deletion", model, x, a, p);
  CHECK(d.curve_y_values == std::vector<double>{10, 9, 5, 3, 0});
  CHECK(d.value == Approx((10 + 9 + 9 + 5 + 5 + 3 + 3 + 0) / 8.0));
  // AOPC = mean of 0, 1, 5, 7, 10.
  CHECK(run_metric("aopc", model, x, a, p).value == Approx(23.0 / 5));
  // Insertion: 0, 1, 5, 7, 10; LeRF removes x1 first: 10, 7, 5, 1, 0.
  CHECK(run_metric("insertion", model, x, a, p).curve_y_values ==
        std::vector<double>{0, 1, 5, 7, 10});
  CHECK(run_metric("lerf", model, x, a, p).curve_y_values == std::vector<double>{10, 7, 5, 1, 0});
  // M_F normalises the insertion curve: (0, .1, .5, .7, 1) → area 0.45.
  CHECK(run_metric("faithfulness-mf", model, x, a, p).value == Approx(0.45));
}

TEST_CASE("rank statistics and SSIM", "[eval]") {
  CHECK(heatlens::spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1));
  CHECK(heatlens::spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1));
  // Ties share ranks: (1, 2.5, 2.5, 4) against (1, 2, 3, 4): ρ = 4.5 / √(4.5·5).
  CHECK(heatlens::spearman({1, 2, 2, 4}, {1, 2, 3, 4}) == Approx(4.5 / std::sqrt(4.5 * 5)));
  std::vector<double> map(64);
  for (int i = 0; i < 64; ++i) map[i] = std::sin(i * 0.7);
  CHECK(heatlens::ssim(map, map, 8, 8) == Approx(1));
  std::vector<double> other(64);
  for (int i = 0; i < 64; ++i) other[i] = std::cos(i * 1.9);
  CHECK(heatlens::ssim(map, other, 8, 8) < 0.5);
}

TEST_CASE("sanity checks: the shifted model is the same model, randomisation changes maps",
          "[eval]") {
  Engine e = linear_engine({4, -3, 2, 1});
  ExplainModel model(e, ModelCard{});
  const Tensor x = tensor({1, 4}, {0.5f, -1, 2, 1.5f});
  Engine shifted(heatlens::with_input_shift(e.graph(), 2.5f), 1);
  ExplainModel shifted_model(shifted, ModelCard{});
  Tensor moved = x.clone();
  for (int i = 0; i < 4; ++i) moved.f32()[i] += 2.5f;
  const Tensor l0 = model.logits(x), l1 = shifted_model.logits(moved);
  for (int i = 0; i < 2; ++i) CHECK(l1.f32()[i] == Approx(l0.f32()[i]));
  Progress progress;
  heatlens::TargetSpec t;
  t.class_index = 0;
  const Attribution g = heatlens::explain(model, x, "gradient", t, {}, progress);
  const Attribution gx = heatlens::explain(model, x, "gradient-x-input", t, {}, progress);
  CHECK(run_metric("input-shift", model, x, g).value == Approx(0).margin(1e-6));
  CHECK(run_metric("input-shift", model, x, gx).value > 0.5);
  // One layer: randomising it changes the gradient's ranking.
  const MetricResult r = run_metric("randomisation", model, x, g, {{"seed", "3"}});
  CHECK(r.curve_y_values.size() == 1);
  CHECK(r.value < 0.99);
  CHECK(r.extras.count("ssim_1"));
}

TEST_CASE("the evaluation table aggregates mean ± std over inputs", "[eval]") {
  CHECK_THROWS_WITH(heatlens::parse_plan({"gradient"}, {"magic"}),
                    Catch::Contains("unknown metric"));
  CHECK_THROWS_WITH(heatlens::parse_plan({"lime:samples=0"}, {"deletion"}),
                    Catch::Contains("samples"));
  const heatlens::Spec s = heatlens::parse_spec("integrated-gradients:steps=8:rule=riemann-left");
  CHECK(s.name == "integrated-gradients");
  CHECK(s.params.at("steps") == "8");
  const heatlens::EvalPlan plan =
      heatlens::parse_plan({"gradient", "occlusion:window=1"}, {"sparseness", "pointing-game"});
  Engine e = linear_engine({4, 3, 2, 1});
  ExplainModel model(e, ModelCard{});
  std::vector<heatlens::EvalRecord> records;
  for (int i = 0; i < 3; ++i) {
    Progress progress;
    progress.set_total(plan.methods.size() * (1 + plan.metrics.size()));
    const Tensor x = tensor({1, 4}, {1.0f + i, 2, 3, 4});
    const auto rows = heatlens::evaluate_input(model, x, i, std::nullopt, plan, {}, progress);
    CHECK(progress.done() == progress.total());
    records.insert(records.end(), rows.begin(), rows.end());
  }
  const heatlens::EvalTable t = heatlens::summarise(plan, records);
  double mean = 0, sq = 0;
  for (const auto& r : records)
    if (r.method == "gradient" && r.metric == "sparseness")
      mean += r.result.value / 3, sq += r.result.value * r.result.value;
  CHECK(t.mean[0][0] == Approx(mean));
  CHECK(t.stdev[0][0] ==
        Approx(std::sqrt(std::max(0.0, (sq - 3 * mean * mean) / 2))).margin(1e-12));
  CHECK(t.count[0][1] == 0);  // no box: pointing-game is left out, not counted as 0
  const std::string md = heatlens::table_markdown(t);
  CHECK(md.find("sparseness ↑") != std::string::npos);
  CHECK(md.find("| occlusion:window=1 |") != std::string::npos);
  CHECK(heatlens::table_csv(t).find("\"gradient\",\"sparseness\",") != std::string::npos);
}

TEST_CASE("the magnitude/phase query finds the channel a spectrum model reads", "[metrics]") {
  // logits = Flatten(x) · W on x [N, 2, 8]: W reads only the magnitude channel, or only the
  // phase channel. RDE's L1 penalty should keep the read channel and drop the other.
  for (const bool reads_phase : {false, true}) {
    INFO((reads_phase ? "phase model" : "magnitude model"));
    std::vector<float> w(16 * 3, 0.0f);
    for (int64_t k = 0; k < 8; ++k)
      for (int64_t c = 0; c < 3; ++c)
        w[((reads_phase ? 8 : 0) + k) * 3 + c] = std::sin(1.3f * static_cast<float>(k * 3 + c));
    OnnxBuilder b(13);
    b.input("x", {-1, 2, 8});
    b.initializer("w", tensor({16, 3}, w));
    b.node("Flatten", {"x"}, {"flat"});
    b.node("MatMul", {"flat", "w"}, {"logits"});
    b.output("logits");
    Engine e = load(b);
    ModelCard card;
    card.labels = {"a", "b", "c"};
    ExplainModel model(e, card);
    std::vector<Tensor> inputs;
    for (unsigned s = 0; s < 6; ++s)
      inputs.push_back(heatlens::test::random_tensor({1, 2, 8}, 40 + s, 2.0f));
    Progress progress;
    const heatlens::MagnitudePhaseResult r = heatlens::magnitude_phase_query(
        model, inputs, {{"steps", "150"}, {"samples", "4"}, {"lambda", "0.01"}}, true, progress);
    REQUIRE(!r.classes.empty());
    int64_t samples = 0;
    for (const heatlens::MagnitudePhaseClass& c : r.classes) {
      INFO(c.label);
      samples += c.samples;
      const double kept = reads_phase ? c.phase_mean : c.magnitude_mean;
      const double dropped = reads_phase ? c.magnitude_mean : c.phase_mean;
      CHECK(kept > 0.7);
      CHECK(dropped < 0.1);
      CHECK((reads_phase ? c.phase_class : c.magnitude_class) > 0.7);
      CHECK((reads_phase ? c.magnitude_class : c.phase_class) < 0.1);
      REQUIRE(c.magnitude_map.size() == 8);
      double read = 0, unread = 0;
      for (int64_t k = 0; k < 8; ++k) {
        read += reads_phase ? c.phase_map[k] : c.magnitude_map[k];
        unread += reads_phase ? c.magnitude_map[k] : c.phase_map[k];
      }
      CHECK(read > 4 * unread);
    }
    CHECK(samples == 6);
    CHECK(progress.done() == progress.total());
    const std::string table = heatlens::magnitude_phase_markdown(r);
    CHECK(table.find("| class | samples | magnitude (per sample)") == 0);
    CHECK(heatlens::magnitude_phase_json(r)["classes"].size() == r.classes.size());
  }
  Engine linear = linear_engine({1, 1, 1, 1});
  ExplainModel image_model(linear, ModelCard{});
  Progress progress;
  CHECK_THROWS_WITH(
      heatlens::magnitude_phase_query(image_model, {Tensor({1, 4})}, {}, false, progress),
      Catch::Contains("spectra [1, 2, bins]"));
}
