// Perturbation, optimisation and refinement methods on models whose answers are known: exact
// Shapley values of linear, additive and small interacting models, a known relevant subset for
// RDE, a known order for matching pursuit, a known region for meaningful perturbation, and the
// distribution-guided refinement's definitions. Also determinism, progress and cancellation.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <random>

#include "explain/external_rounds.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"
#include "explain/perturbation/slic.h"
#include "explain/refine.h"
#include "media/npy.h"
#include "onnx_builder.h"
#include "test_models.h"

using heatlens::Attribution;
using heatlens::Engine;
using heatlens::ExplainModel;
using heatlens::ModelCard;
using heatlens::Progress;
using heatlens::TargetSpec;
using heatlens::Tensor;
using heatlens::test::load;
using heatlens::test::OnnxBuilder;
using heatlens::test::random_tensor;
using heatlens::test::tensor;

namespace {

Attribution run(Engine& e, const Tensor& x, const std::string& method,
                std::map<std::string, std::string> params = {}, int64_t target = 0) {
  ExplainModel m(e, ModelCard{});
  Progress progress;
  TargetSpec t;
  t.class_index = target;
  return heatlens::explain(m, x, method, t, params, progress);
}

// logits = x·W + b, x [N, 6], 3 classes.
OnnxBuilder linear_model(const Tensor& w) {
  OnnxBuilder b(13);
  b.input("x", {-1, w.dim(0)});
  b.initializer("w", w);
  b.initializer("b", tensor({w.dim(1)}, std::vector<float>(w.dim(1), 0.25f)));
  b.node("MatMul", {"x", "w"}, {"xw"});
  b.node("Add", {"xw", "b"}, {"logits"});
  b.output("logits");
  return b;
}

// logits = ReLU(a ⊙ x + c)·W: additive in the features.
OnnxBuilder additive_model(const Tensor& a, const Tensor& c, const Tensor& w) {
  OnnxBuilder b(13);
  b.input("x", {-1, w.dim(0)});
  b.initializer("a", a);
  b.initializer("c", c);
  b.initializer("w", w);
  b.node("Mul", {"x", "a"}, {"ax"});
  b.node("Add", {"ax", "c"}, {"axc"});
  b.node("Relu", {"axc"}, {"h"});
  b.node("MatMul", {"h", "w"}, {"logits"});
  b.output("logits");
  return b;
}

// A two-layer MLP 6 → 5 → 2: features interact.
OnnxBuilder mlp_model() {
  OnnxBuilder b(13);
  b.input("x", {-1, 6});
  b.initializer("w1", random_tensor({6, 5}, 3));
  b.initializer("b1", random_tensor({5}, 4, 0.5f));
  b.initializer("w2", random_tensor({5, 2}, 5));
  b.node("MatMul", {"x", "w1"}, {"z1"});
  b.node("Add", {"z1", "b1"}, {"z1b"});
  b.node("Relu", {"z1b"}, {"h"});
  b.node("MatMul", {"h", "w2"}, {"logits"});
  b.output("logits");
  return b;
}

// Exact Shapley values of class 0 with removed features set to 0, by enumeration.
std::vector<double> brute_force_shapley(Engine& e, const Tensor& x) {
  const int64_t d = x.numel();
  ExplainModel m(e, ModelCard{});
  Tensor all({int64_t{1} << d, d});
  for (int64_t s = 0; s < (int64_t{1} << d); ++s)
    for (int64_t i = 0; i < d; ++i) all.f32()[s * d + i] = (s >> i) & 1 ? x.f32()[i] : 0.0f;
  const Tensor l = m.logits(all);
  std::vector<double> fact(d + 1, 1);
  for (int64_t i = 1; i <= d; ++i) fact[i] = fact[i - 1] * i;
  std::vector<double> phi(d, 0);
  for (int64_t s = 0; s < (int64_t{1} << d); ++s) {
    const int64_t size = __builtin_popcountll(static_cast<unsigned long long>(s));
    for (int64_t i = 0; i < d; ++i) {
      if ((s >> i) & 1) continue;
      const double weight = fact[size] * fact[d - size - 1] / fact[d];
      phi[i] += weight * (l.f32()[(s | (int64_t{1} << i)) * l.dim(1)] - l.f32()[s * l.dim(1)]);
    }
  }
  return phi;
}

void check_values(const Attribution& a, const std::vector<double>& expected, double tol) {
  double scale = 0;
  for (double v : expected) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO(a.method << " feature " << i << ": " << a.relevance.f32()[i] << " vs " << expected[i]);
    CHECK(std::fabs(a.relevance.f32()[i] - expected[i]) <= tol * scale);
  }
}

const std::map<std::string, std::string> kFeatures = {{"grouping", "features"},
                                                      {"obfuscation", "zero"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> base,
                                        const std::map<std::string, std::string>& more) {
  for (auto it = more.begin(); it != more.end(); ++it) base[it->first] = it->second;
  return base;
}

}  // namespace

TEST_CASE("Shapley values of linear and additive models are recovered exactly", "[perturbation]") {
  const Tensor x = tensor({1, 6}, {0.8f, -1.2f, 2.0f, 0.3f, -0.5f, 1.5f});
  const Tensor w = random_tensor({6, 3}, 1);
  const Tensor a = tensor({6}, {1.0f, -2.0f, 0.5f, 3.0f, 1.5f, -1.0f});
  const Tensor c = tensor({6}, {0.2f, 0.1f, -0.3f, 0.4f, 0.0f, 0.5f});
  Engine linear = load(linear_model(w));
  Engine additive = load(additive_model(a, c, w));
  std::vector<double> lin(6), add(6);
  for (int64_t i = 0; i < 6; ++i) {
    lin[i] = w.f32()[i * 3] * x.f32()[i];
    const double g = std::max(0.0f, a.f32()[i] * x.f32()[i] + c.f32()[i]);
    add[i] = w.f32()[i * 3] * (g - std::max(0.0f, c.f32()[i]));
  }
  for (auto* model : {&linear, &additive}) {
    const std::vector<double>& expected = model == &linear ? lin : add;
    Engine& e = *model;
    Attribution ks = run(e, x, "kernel-shap", kFeatures);
    CHECK(ks.notes.at("mode") == "exact");
    check_values(ks, expected, 1e-4);
    check_values(run(e, x, "shapley-sampling", with(kFeatures, {{"samples", "3"}})), expected,
                 1e-4);
    check_values(run(e, x, "occlusion", {{"window", "1"}, {"stride", "1"}}), expected, 1e-4);
    check_values(run(e, x, "lime",
                     with(kFeatures, {{"kernel", "constant"}, {"alpha", "0"}, {"samples", "200"}})),
                 expected, 1e-3);
    // Kernel SHAP by sampling coalitions is exact too for an additive model.
    check_values(
        run(e, x, "kernel-shap", with(kFeatures, {{"exact-max-features", "0"}, {"samples", "60"}})),
        expected, 1e-3);
  }
}

TEST_CASE("kernel-shap equals brute-force Shapley values of an interacting model",
          "[perturbation]") {
  Engine e = load(mlp_model());
  const Tensor x = tensor({1, 6}, {1.0f, -0.7f, 0.4f, 1.3f, -1.1f, 0.6f});
  const std::vector<double> exact = brute_force_shapley(e, x);
  check_values(run(e, x, "kernel-shap", kFeatures), exact, 1e-4);
  // Sampling estimators converge to them.
  check_values(run(e, x, "shapley-sampling", with(kFeatures, {{"samples", "3000"}})), exact, 0.05);
  check_values(
      run(e, x, "kernel-shap", with(kFeatures, {{"exact-max-features", "0"}, {"samples", "6000"}})),
      exact, 0.05);
  // Occlusion is not Shapley when features interact: it must differ somewhere.
  Attribution occ = run(e, x, "occlusion", {{"window", "1"}, {"stride", "1"}});
  double diff = 0;
  for (int i = 0; i < 6; ++i) diff = std::max(diff, std::fabs(occ.relevance.f32()[i] - exact[i]));
  CHECK(diff > 1e-3);
}

TEST_CASE("feature groupings partition the input as asked", "[perturbation]") {
  const Tensor x = random_tensor({1, 3, 10, 7}, 9);
  auto groups = [&](std::map<std::string, std::string> p) {
    return heatlens::make_groups(
        heatlens::ParamValues::resolve(heatlens::grouping_params("grid"), p), x, ModelCard{});
  };
  heatlens::FeatureGroups grid = groups({{"grouping", "grid"}, {"patch", "4"}});
  CHECK(grid.count == 3 * 2);  // ⌈10/4⌉ × ⌈7/4⌉, shared by the channels
  CHECK(grid.group[0] == grid.group[70]);
  CHECK(grid.group[9 * 7 + 6] == 5);
  heatlens::FeatureGroups tiles =
      groups({{"grouping", "tiles"}, {"tile-freq", "5"}, {"tile-time", "7"}});
  CHECK(tiles.count == 2);
  CHECK(groups({{"grouping", "channels"}}).count == 3);
  CHECK(groups({{"grouping", "features"}}).count == x.numel());
  // A two-channel signal [1, C, L] (e.g. magnitude and phase of a spectrum): bins of 4
  // frequencies shared by both channels, or one group per channel.
  const Tensor signal = random_tensor({1, 2, 12}, 10);
  auto signal_groups = [&](std::map<std::string, std::string> p) {
    return heatlens::make_groups(
        heatlens::ParamValues::resolve(heatlens::grouping_params("grid"), p), signal, ModelCard{});
  };
  heatlens::FeatureGroups bins = signal_groups({{"grouping", "grid"}, {"patch", "4"}});
  CHECK(bins.count == 3);
  CHECK(bins.group[5] == 1);
  CHECK(bins.group[12 + 5] == 1);
  CHECK(signal_groups({{"grouping", "channels"}}).count == 2);
  // A segment map from a file, any label values.
  const std::string path = "perturbation_test_segments.npy";
  Tensor labels({10, 7}, heatlens::DType::i64);
  for (int64_t i = 0; i < 70; ++i) labels.i64()[i] = (i % 7) < 3 ? 42 : -5;
  heatlens::write_npy(path, labels);
  heatlens::FeatureGroups file = groups({{"grouping", "file"}, {"segment-file", path}});
  CHECK(file.count == 2);
  CHECK(file.group[0] != file.group[6]);
  std::remove(path.c_str());
  CHECK_THROWS_WITH(groups({{"grouping", "file"}}), Catch::Contains("segment-file"));
}

TEST_CASE("SLIC segments follow colour edges and respect the segment count", "[perturbation]") {
  // Left half red, right half blue, with a little noise: no segment may straddle the edge.
  const int64_t h = 24, w = 24;
  std::vector<float> image(3 * h * w);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> noise(-0.03f, 0.03f);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const bool left = x < 13;  // the edge is off the initial grid
      image[0 * h * w + y * w + x] = (left ? 0.9f : 0.1f) + noise(rng);
      image[1 * h * w + y * w + x] = 0.2f + noise(rng);
      image[2 * h * w + y * w + x] = (left ? 0.1f : 0.9f) + noise(rng);
    }
  }
  const std::vector<int32_t> labels = heatlens::slic_segments(image.data(), 3, h, w, 16, 10);
  const int32_t count = *std::max_element(labels.begin(), labels.end()) + 1;
  CHECK(count >= 8);
  CHECK(count <= 32);
  for (int32_t s = 0; s < count; ++s) {
    bool has_left = false, has_right = false;
    for (int64_t i = 0; i < h * w; ++i) {
      if (labels[i] != s) continue;
      (i % w < 13 ? has_left : has_right) = true;
    }
    CHECK_FALSE((has_left && has_right));
    CHECK((has_left || has_right));  // labels are dense
  }
}

TEST_CASE("obfuscations replace removed features as documented", "[perturbation]") {
  const Tensor x = random_tensor({1, 2, 8, 8}, 4, 2.0f);
  auto make = [&](std::map<std::string, std::string> p) {
    return heatlens::Obfuscator(
        heatlens::ParamValues::resolve(heatlens::obfuscation_params("zero"), p), x, ModelCard{});
  };
  heatlens::Rng rng(1);
  auto zero = make({{"obfuscation", "zero"}});
  CHECK(zero.sample(rng).f32()[5] == 0.0f);
  auto cm = make({{"obfuscation", "channel-mean"}});
  double mean1 = 0;
  for (int i = 64; i < 128; ++i) mean1 += x.f32()[i] / 64.0;
  CHECK(cm.sample(rng).f32()[100] == Approx(mean1).margin(1e-5));
  auto noise = make({{"obfuscation", "gaussian-noise"}});
  const float first = noise.sample(rng).f32()[3];
  CHECK(noise.sample(rng).f32()[3] != first);  // a fresh draw each time
  CHECK_THROWS_WITH(make({{"obfuscation", "mean"}}), Catch::Contains("dataset mean"));
}

TEST_CASE("rde keeps exactly the features the decision depends on", "[perturbation][rde]") {
  // Only features 1, 4 and 6 reach the logits.
  Tensor w({8, 3});
  for (int64_t c = 0; c < 3; ++c) {
    w.f32()[1 * 3 + c] = 1.5f - c;
    w.f32()[4 * 3 + c] = -1.0f + c;
    w.f32()[6 * 3 + c] = 2.0f * (c == 0);
  }
  Engine e = load(linear_model(w));
  const Tensor x = tensor({1, 8}, {1.0f, 2.0f, -1.0f, 0.5f, -1.5f, 1.2f, 1.8f, -0.4f});
  for (const char* mode : {"continuous", "concrete"}) {
    INFO(mode);
    Attribution a = run(e, x, "rde",
                        {{"grouping", "features"},
                         {"mode", mode},
                         {"steps", "200"},
                         {"lambda", "0.02"},
                         {"samples", "16"},
                         {"lr", "0.05"}});
    for (int64_t i = 0; i < 8; ++i) {
      INFO("feature " << i << ": " << a.relevance.f32()[i]);
      if (i == 1 || i == 4 || i == 6) {
        CHECK(a.relevance.f32()[i] > 0.7f);
      } else {
        CHECK(a.relevance.f32()[i] < 0.1f);
      }
    }
  }
  // One mask shared by two inputs (a class-level query).
  ExplainModel m(e, ModelCard{});
  Progress progress;
  Tensor two({2, 8});
  for (int64_t i = 0; i < 8; ++i) {
    two.f32()[i] = x.f32()[i];
    two.f32()[8 + i] = -x.f32()[i] * 0.5f;
  }
  TargetSpec t;
  t.class_index = 0;
  Attribution shared = heatlens::explain_shared(
      m, two, "rde", t, {{"grouping", "features"}, {"steps", "200"}, {"lambda", "0.02"}}, progress);
  CHECK(shared.relevance.shape() == heatlens::Shape{1, 8});
  CHECK(shared.notes.at("inputs") == "2");
  CHECK(shared.relevance.f32()[1] > 0.7f);
  CHECK(shared.relevance.f32()[0] < 0.1f);
  CHECK_THROWS_WITH(heatlens::explain_shared(m, two, "occlusion", t, {}, progress),
                    Catch::Contains("one input at a time"));
}

TEST_CASE("matching pursuit picks the known components in order", "[perturbation][rde]") {
  // Class 0 = 3·x0 + 1·x2 + 2·x4; with x = 1 and removed features 0, the distortion falls
  // from ½·6² = 18 to 4.5 (x0), 0.5 (x4), 0 (x2).
  Tensor w({6, 2});
  w.f32()[0 * 2] = 3;
  w.f32()[2 * 2] = 1;
  w.f32()[4 * 2] = 2;
  Engine e = load(linear_model(w));
  const Tensor x = tensor({1, 6}, {1, 1, 1, 1, 1, 1});
  Attribution a = run(e, x, "matching-pursuit",
                      {{"grouping", "features"},
                       {"obfuscation", "zero"},
                       {"distortion", "target"},
                       {"k", "5"},
                       {"threshold", "1e-6"},
                       {"samples", "1"}});
  CHECK(a.notes.at("order") == "0,4,2");
  CHECK(a.layer_map.numel() == 4);
  CHECK(a.layer_map.f32()[0] == Approx(18));
  CHECK(a.layer_map.f32()[1] == Approx(4.5));
  CHECK(a.layer_map.f32()[2] == Approx(0.5));
  CHECK(a.relevance.f32()[0] == Approx(13.5));  // each component's distortion reduction
  CHECK(a.relevance.f32()[1] == 0.0f);
}

TEST_CASE("meaningful perturbation deletes and preserves the region the score reads",
          "[perturbation]") {
  // The class-0 logit sums the top-left 4×4 quadrant; two equal blobs, one in it, one outside.
  Tensor sel({64, 2});
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x) sel.f32()[(y * 8 + x) * 2] = 1;
  OnnxBuilder b(13);
  b.input("x", {-1, 1, 8, 8});
  b.initializer("shape", [] {
    Tensor s({2}, heatlens::DType::i64);
    s.i64()[0] = -1;
    s.i64()[1] = 64;
    return s;
  }());
  b.initializer("sel", sel);
  b.node("Reshape", {"x", "shape"}, {"flat"});
  b.node("MatMul", {"flat", "sel"}, {"logits"});
  b.output("logits");
  Engine e = load(b);
  Tensor x({1, 1, 8, 8});
  for (int64_t y = 1; y < 3; ++y)
    for (int64_t xx = 1; xx < 3; ++xx) {
      x.f32()[y * 8 + xx] = 4;
      x.f32()[(y + 4) * 8 + xx + 4] = 4;
    }
  const std::map<std::string, std::string> p = {
      {"score", "logit"}, {"mask-size", "8"},    {"mask-sigma", "0"}, {"blur-sigma", "1"},
      {"jitter", "0"},    {"iterations", "150"}, {"l1", "0.05"},      {"tv", "0"}};
  for (const char* game : {"deletion", "preservation"}) {
    INFO(game);
    Attribution a = run(e, x, "meaningful-perturbation", with(p, {{"game", game}}));
    CHECK_FALSE(a.signed_map);
    CHECK(a.relevance.f32()[1 * 8 + 1] > 0.8f);  // inside the read blob
    CHECK(a.relevance.f32()[5 * 8 + 5] < 0.2f);  // the ignored blob
  }
}

TEST_CASE("the distribution controller keeps the ranking and has the paper's density",
          "[perturbation][refine]") {
  std::mt19937 rng(3);
  std::normal_distribution<double> n(0, 1);
  std::vector<double> r(20000);
  for (double& v : r) v = n(rng);
  const double eta = 1.5, h = 2.5;
  const std::vector<double> m = heatlens::distribution_transform(r, eta, h, false);
  for (size_t i = 1; i < 200; ++i) CHECK((r[i] > r[i - 1]) == (m[i] > m[i - 1]));
  // m = sigmoid(η z)^h with z ~ N(0, 1): P(m ≤ t) = Φ(logit(t^{1/h}) / η) (eq. 7 integrated).
  auto cdf = [&](double t) {
    if (t <= 0) return 0.0;
    if (t >= 1) return 1.0;
    const double s = std::pow(t, 1.0 / h);
    return 0.5 * std::erfc(-std::log(s / (1 - s)) / eta / std::sqrt(2.0));
  };
  const int bins = 20;
  std::vector<double> hist(bins, 0);
  for (double v : m) hist[std::min(bins - 1, static_cast<int>(v * bins))] += 1.0 / m.size();
  for (int k = 0; k < bins; ++k) {
    INFO("bin " << k);
    CHECK(hist[k] ==
          Approx(cdf((k + 1.0) / bins) - cdf(static_cast<double>(k) / bins)).margin(0.01));
  }
  // The ReLU variant: max(z, 0) / max z.
  const std::vector<double> relu = heatlens::distribution_transform({-1, 0, 1, 3}, eta, h, true);
  const double sd = std::sqrt((2.25 + 0.25 + 0.25 + 6.25) / 4);  // mean 0.75
  CHECK(relu[0] == 0);
  CHECK(relu[3] == Approx(1));
  CHECK(relu[2] == Approx((0.25 / sd) / (2.25 / sd)));
}

TEST_CASE("insertion fine-tuning follows its definition on a hand example",
          "[perturbation][refine]") {
  // Four features by rank, m = 1, 0.8, 0.5, 0.2; the curve sampled at 0, 2 and 4 kept.
  const std::vector<double> m = {1, 0.8, 0.5, 0.2};
  // q = 0.1, 0.5, 0.9: v at 1, 2, 3, 4 kept = 0.9 − (0.3, 0.5, 0.7, 0.9).
  std::vector<double> r = heatlens::insertion_finetune(m, {0, 2, 4}, {0.1, 0.5, 0.9});
  CHECK(r[0] == Approx(0.6));
  CHECK(r[1] == Approx(0.32));
  CHECK(r[2] == Approx(0.1));
  CHECK(r[3] == Approx(0).margin(1e-12));
  // A curve that dips is made monotone first: q = 0.1, 0.95, 0.9 → 0.1, 0.95, 0.95.
  r = heatlens::insertion_finetune(m, {0, 2, 4}, {0.1, 0.95, 0.9});
  CHECK(r[0] == Approx(0.425));
  CHECK(r[1] == Approx(0).margin(1e-12));
  CHECK(r[3] == Approx(0).margin(1e-12));
}

TEST_CASE("refine=distribution applies to any method's map", "[perturbation][refine]") {
  Engine e = load(mlp_model());
  const Tensor x = tensor({1, 6}, {1.0f, -0.7f, 0.4f, 1.3f, -1.1f, 0.6f});
  Attribution plain = run(e, x, "gradient-x-input", {}, 0);
  Attribution refined =
      run(e, x, "gradient-x-input", {{"refine", "distribution"}, {"refine-finetune", "false"}}, 0);
  const std::vector<double> r(plain.relevance.f32(), plain.relevance.f32() + 6);
  const std::vector<double> expected = heatlens::distribution_transform(r, 1.5, 2.5, false);
  for (int i = 0; i < 6; ++i) CHECK(refined.relevance.f32()[i] == Approx(expected[i]));
  CHECK_FALSE(refined.signed_map);
  Attribution tuned = run(e, x, "occlusion", {{"window", "1"}, {"refine", "distribution"}}, 0);
  CHECK(tuned.notes.at("refined") == "distribution + insertion fine-tuning");
  for (int i = 0; i < 6; ++i) CHECK(tuned.relevance.f32()[i] >= 0.0f);
}

TEST_CASE("perturbation methods are deterministic, report progress and cancel within a batch",
          "[perturbation]") {
  Engine e = load(mlp_model());
  const Tensor x = tensor({1, 6}, {1.0f, -0.7f, 0.4f, 1.3f, -1.1f, 0.6f});
  const std::map<std::string, std::map<std::string, std::string>> methods = {
      {"occlusion", {{"window", "2"}, {"stride", "1"}}},
      {"rise", {{"masks", "40"}, {"cell", "2"}}},
      {"lime", with(kFeatures, {{"samples", "50"}, {"obfuscation", "gaussian-noise"}})},
      {"kernel-shap", with(kFeatures, {{"exact-max-features", "0"}, {"samples", "50"}})},
      {"shapley-sampling", with(kFeatures, {{"samples", "4"}})},
      {"rde", {{"grouping", "features"}, {"steps", "5"}}},
      {"matching-pursuit", {{"grouping", "features"}, {"k", "3"}}},
  };
  for (auto it = methods.begin(); it != methods.end(); ++it) {
    INFO(it->first);
    ExplainModel m(e, ModelCard{});
    int64_t done = -1, total = -2;
    Progress progress([&](int64_t d, int64_t t) { done = d, total = t; }, nullptr);
    TargetSpec t;
    Attribution a = heatlens::explain(m, x, it->first, t, it->second, progress);
    CHECK(done == total);
    CHECK(total > 0);
    Progress quiet;
    Attribution b = heatlens::explain(m, x, it->first, t, it->second, quiet);
    for (int i = 0; i < 6; ++i) CHECK(a.relevance.f32()[i] == b.relevance.f32()[i]);
  }
  // A different seed gives a different sample.
  Attribution s0 = run(e, x, "rise", {{"masks", "20"}, {"seed", "0"}});
  Attribution s1 = run(e, x, "rise", {{"masks", "20"}, {"seed", "1"}});
  bool differs = false;
  for (int i = 0; i < 6; ++i) differs |= s0.relevance.f32()[i] != s1.relevance.f32()[i];
  CHECK(differs);
  // Cancelling after the first batch stops before the next one runs.
  ExplainModel m(e, ModelCard{});
  std::atomic<bool> cancel{false};
  Progress progress([&](int64_t d, int64_t) { cancel = d >= 8; }, &cancel);
  TargetSpec t;
  CHECK_THROWS_AS(
      heatlens::explain(m, x, "rise", t, {{"masks", "1000"}, {"batch-size", "8"}}, progress),
      heatlens::Cancelled);
  CHECK(m.passes() <= 1 + 8);
}

TEST_CASE("on a sound's input, grouping methods default to time-frequency tiles",
          "[perturbation]") {
  // logits = Flatten(x) · W on a [1, 1, 32, 16] "spectrogram".
  OnnxBuilder b(13);
  b.input("x", {-1, 1, 32, 16});
  b.initializer("w", heatlens::test::random_tensor({512, 2}, 5));
  b.node("Flatten", {"x"}, {"flat"});
  b.node("MatMul", {"flat", "w"}, {"logits"});
  b.output("logits");
  Engine e = load(b);
  ModelCard audio_card;
  audio_card.has_audio_frontend = true;
  ExplainModel audio(e, audio_card);
  const Tensor x = heatlens::test::random_tensor({1, 1, 32, 16}, 6);
  Progress progress;
  const Attribution lime = explain(audio, x, "lime", TargetSpec{}, {{"samples", "40"}}, progress);
  CHECK(lime.params.at("grouping") == "tiles");
  CHECK(lime.params.at("tile-freq") == "2");  // 32 rows / 16
  CHECK(lime.params.at("tile-time") == "2");  // 16 frames / 8
  // What the caller chose stays; per-feature groupings (rde's) stay.
  const Attribution chosen =
      explain(audio, x, "lime", TargetSpec{}, {{"samples", "40"}, {"grouping", "grid"}}, progress);
  CHECK(chosen.params.at("grouping") == "grid");
  const Attribution rde = explain(audio, x, "rde", TargetSpec{}, {{"steps", "2"}}, progress);
  CHECK(rde.params.at("grouping") == "grid");
  CHECK(rde.params.at("patch") == "1");
  // An image model keeps the registry's defaults.
  ExplainModel image(e, ModelCard{});
  CHECK(explain(image, x, "lime", TargetSpec{}, {{"samples", "40"}}, progress)
            .params.at("grouping") == "slic");
}

TEST_CASE("scores from outside, round by round, give the engine's own explanation",
          "[perturbation]") {
  // A small image model: Conv 1→2 (3×3, pad 1), ReLU, Flatten, MatMul → 3 classes.
  OnnxBuilder b(13);
  b.input("x", {-1, 1, 8, 8});
  b.initializer("k", random_tensor({2, 1, 3, 3}, 21));
  b.initializer("w", random_tensor({128, 3}, 22, 0.2f));
  b.node("Conv", {"x", "k"}, {"c"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
  b.node("Relu", {"c"}, {"r"});
  b.node("Flatten", {"r"}, {"f"});
  b.node("MatMul", {"f", "w"}, {"logits"});
  b.output("logits");
  Engine e = load(b);
  ExplainModel own(e, ModelCard{});
  const Tensor x = random_tensor({1, 1, 8, 8}, 23);
  TargetSpec target;
  target.class_index = 1;
  struct Case {
    std::string method;
    std::map<std::string, std::string> params;
    bool adaptive;
  };
  for (const Case& c :
       std::vector<Case>{{"occlusion", {{"window", "3"}}, false},
                         {"rise", {{"masks", "40"}, {"batch-size", "16"}}, false},
                         {"lime", {{"samples", "30"}, {"grouping", "grid"}, {"patch", "2"}}, false},
                         {"matching-pursuit", {{"k", "2"}, {"patch", "4"}}, true},
                         {"occlusion", {{"window", "3"}, {"refine", "distribution"}}, true}}) {
    INFO(c.method);
    Progress progress;
    const Attribution direct = explain(own, x, c.method, target, c.params, progress);
    std::vector<Tensor> inputs, known;
    heatlens::ExternalRound r;
    int rounds = 0;
    for (; rounds < 200; ++rounds) {
      r = heatlens::explain_external_round(ModelCard{}, x, c.method, target, c.params, 3, inputs,
                                           known, progress);
      if (r.done) break;
      known.resize(r.first_unknown);
      for (size_t k = r.first_unknown; k < r.inputs.size(); ++k)
        known.push_back(own.logits(r.inputs[k]));
      inputs = r.inputs;
    }
    REQUIRE(r.done);
    if (!c.adaptive) CHECK(rounds == 1);  // one recording round, one replay
    CHECK(rounds >= 1);
    const Tensor& rel = r.attribution.relevance;
    REQUIRE(rel.shape() == direct.relevance.shape());
    for (int64_t i = 0; i < rel.numel(); ++i)
      CHECK(rel.f32()[i] == Approx(direct.relevance.f32()[i]).margin(1e-6));
    CHECK(r.attribution.notes.at("runner").find("onnxruntime") != std::string::npos);
  }
  Progress progress;
  CHECK_THROWS_WITH(
      heatlens::explain_external_round(ModelCard{}, x, "gradient", target, {}, 3, {}, {}, progress),
      Catch::Contains("gradient needs gradient"));
  CHECK_THROWS_WITH(heatlens::explain_external_round(ModelCard{}, x, "rise", target,
                                                     {{"masks", "400"}}, 3, {}, {}, progress, 1024),
                    Catch::Contains("lower its samples or masks"));
}
