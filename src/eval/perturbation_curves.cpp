// Perturbation curves: the target score as the most (or least) relevant features are removed
// or inserted; their areas, AOPC and the M_F faithfulness of "Distribution-Guided Local
// Explanation".
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "eval/metric.h"
#include "explain/perturbation/perturbation.h"

namespace heatlens {

namespace {

std::vector<ParamSpec> curve_params(const std::string& steps) {
  std::vector<ParamSpec> params = {
      {"replacement",
       ParamType::choice,
       "blur",
       0,
       0,
       {"blur", "mean", "uniform-noise", "zero"},
       "what replaces removed features (mean: the dataset mean from the model card)"},
      {"blur-sigma", ParamType::number, "10", 0.1, 1000, {}, "σ of replacement=blur in pixels"},
      {"unit",
       ParamType::choice,
       "pixel",
       0,
       0,
       {"pixel", "patch", "segment"},
       "what is removed at a time: pixels (all channels), square patches or SLIC segments"},
      {"patch", ParamType::integer, "4", 1, 4096, {}, "patch side (unit=patch)"},
      {"segments", ParamType::integer, "50", 1, 100000, {}, "SLIC segments (unit=segment)"},
      {"steps", ParamType::integer, steps, 1, 100000, {}, "points of the curve after the first"},
      {"score",
       ParamType::choice,
       "prob",
       0,
       0,
       {"prob", "logit", "logprob"},
       "the target score the curve follows"},
  };
  for (const ParamSpec& s : batch_params()) params.push_back(s);
  return params;
}

struct Curve {
  std::vector<double> fraction, score;
};

// keep_ranked: true → the first n_k features by rank keep x (insertion), false → they are
// replaced (deletion). ascending: rank least relevant first.
Curve perturbation_curve(EvalInput& in, const ParamValues& p, bool keep_ranked, bool ascending) {
  const Tensor& x = in.x;
  const std::string unit = p.text("unit");
  const FeatureGroups groups = make_groups(
      ParamValues::resolve(grouping_params("grid"),
                           {{"grouping", unit == "segment" ? "slic" : "grid"},
                            {"patch", unit == "pixel" ? "1" : std::to_string(p.integer("patch"))},
                            {"segments", std::to_string(p.integer("segments"))}}),
      x, in.model.card());
  std::vector<double> group_relevance(groups.count, 0.0);
  for (int64_t i = 0; i < x.numel(); ++i)
    group_relevance[groups.group[i]] += in.attribution.relevance.f32()[i];
  if (ascending)
    for (double& v : group_relevance) v = -v;
  const std::vector<int64_t> order = rank_descending(group_relevance);
  std::vector<int64_t> rank(groups.count);
  for (int64_t k = 0; k < groups.count; ++k) rank[order[k]] = k;
  const std::string kind = p.text("replacement");
  Obfuscator obf(ParamValues::resolve(obfuscation_params("blur"),
                                      {{"obfuscation", kind},
                                       {"blur-sigma", std::to_string(p.number("blur-sigma"))}}),
                 x, in.model.card());
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  const Tensor replacement = obf.sample(rng).clone();
  const int64_t steps = std::min<int64_t>(p.integer("steps"), groups.count);
  Curve c;
  std::vector<int64_t> counts;
  for (int64_t k = 0; k <= steps; ++k) {
    counts.push_back((k * groups.count + steps / 2) / steps);
    c.fraction.push_back(static_cast<double>(counts.back()) / groups.count);
  }
  Target t = in.attribution.target;
  t.space = parse_output_space(p.text("score"));
  in.progress.add_total(steps + 1);
  BatchScorer scorer(in.model, x, p.integer("batch-size"), in.progress);
  c.score = scorer.scores(steps + 1, t, [&](int64_t k, float* out) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      const bool ranked = rank[groups.group[i]] < counts[k];
      out[i] = ranked == keep_ranked ? x.f32()[i] : replacement.f32()[i];
    }
  });
  return c;
}

MetricResult curve_result(const Curve& c, const std::string& x_name) {
  MetricResult r;
  r.value = trapezoid(c.fraction, c.score);
  r.curve_x = x_name;
  r.curve_y = "score";
  r.curve_x_values = c.fraction;
  r.curve_y_values = c.score;
  return r;
}

}  // namespace

void register_perturbation_curves(std::vector<MetricInfo>& registry) {
  registry.push_back({"deletion", "faithfulness", "map", false,
                      "Petsiuk, Das & Saenko 2018 (RISE), deletion metric; Samek et al. 2017, MoRF",
                      "area under the score curve as the most relevant features are removed first",
                      curve_params("32"), [](EvalInput& in, const ParamValues& p) {
                        return curve_result(perturbation_curve(in, p, false, false),
                                            "fraction removed");
                      }});
  registry.push_back({"insertion", "faithfulness", "map", true,
                      "Petsiuk, Das & Saenko 2018 (RISE), insertion metric",
                      "area under the score curve as the most relevant features are inserted first "
                      "into the replacement",
                      curve_params("32"), [](EvalInput& in, const ParamValues& p) {
                        return curve_result(perturbation_curve(in, p, true, false),
                                            "fraction inserted");
                      }});
  registry.push_back(
      {"lerf", "faithfulness", "map", true,
       "Samek et al. 2017, \"Evaluating the visualization of what a deep neural network "
       "has learned\" (LeRF)",
       "area under the score curve as the least relevant features are removed first",
       curve_params("32"), [](EvalInput& in, const ParamValues& p) {
         return curve_result(perturbation_curve(in, p, false, true), "fraction removed");
       }});
  registry.push_back(
      {"aopc", "faithfulness", "map", true,
       "Samek et al. 2017, \"Evaluating the visualization of what a deep neural network "
       "has learned\" (AOPC, MoRF)",
       "average drop of the score over the MoRF steps: (1/(L+1)) Σ_k f(x) − f(x_MoRF^(k))",
       curve_params("32"), [](EvalInput& in, const ParamValues& p) {
         MetricResult r = curve_result(perturbation_curve(in, p, false, false), "fraction removed");
         double drop = 0;
         for (double s : r.curve_y_values) drop += r.curve_y_values[0] - s;
         r.value = drop / static_cast<double>(r.curve_y_values.size());
         return r;
       }});
  std::vector<ParamSpec> mf = curve_params("32");
  registry.push_back(
      {"faithfulness-mf", "faithfulness", "map", true,
       "\"Distribution-Guided Local Explanation for Black-Box Classifiers\", eq. 8",
       "area under the probability vs fraction-of-pixels-kept curve (rest blurred), "
       "normalised by q_O − q_F; Δ = 1/steps",
       mf, [](EvalInput& in, const ParamValues& p) {
         MetricResult r = curve_result(perturbation_curve(in, p, true, false), "fraction kept");
         const double q_f = r.curve_y_values.front(), q_o = r.curve_y_values.back();
         HEATLENS_CHECK(std::fabs(q_o - q_f) > 1e-12,
                        "faithfulness-mf is undefined: the score of the input equals that "
                        "of its fully replaced version");
         std::vector<double> normalised;
         for (double q : r.curve_y_values) normalised.push_back((q - q_f) / (q_o - q_f));
         r.value = trapezoid(r.curve_x_values, normalised);
         r.extras["q_O"] = q_o;
         r.extras["q_F"] = q_f;
         return r;
       }});
}

}  // namespace heatlens
