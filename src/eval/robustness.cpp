// Robustness and sensitivity: does the map predict what perturbations do to the score, and
// does it stay put when the input barely moves?
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "eval/metric.h"
#include "explain/perturbation/perturbation.h"

namespace heatlens {

namespace {

Target score_target(const EvalInput& in, const ParamValues& p) {
  Target t = in.attribution.target;
  t.space = parse_output_space(p.text("score"));
  return t;
}

// Sensitivity-n: correlation between Σ_{i∈S} R_i and f(x) − f(x with S set to zero) over random
// subsets S of n features (pixels, all channels). Ancona et al. 2018; Samek et al. 2019, ch. 9.
MetricResult sensitivity_n(EvalInput& in, const ParamValues& p) {
  const Tensor& x = in.x;
  const std::vector<double> r = spatial_relevance(in.attribution.relevance);
  const int64_t hw = static_cast<int64_t>(r.size());
  const int64_t n = std::max<int64_t>(1, std::llround(p.number("fraction") * hw));
  const int64_t samples = p.integer("samples");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  std::vector<std::vector<char>> subsets(samples, std::vector<char>(hw, 0));
  std::vector<double> sums(samples, 0.0);
  std::vector<int64_t> idx(hw);
  for (int64_t s = 0; s < samples; ++s) {
    for (int64_t i = 0; i < hw; ++i) idx[i] = i;
    for (int64_t k = 0; k < n; ++k) {
      std::swap(idx[k], idx[k + static_cast<int64_t>(rng.below(hw - k))]);
      subsets[s][idx[k]] = 1;
      sums[s] += r[idx[k]];
    }
  }
  const Target t = score_target(in, p);
  in.progress.add_total(samples + 1);
  BatchScorer scorer(in.model, x, p.integer("batch-size"), in.progress);
  const std::vector<double> f = scorer.scores(samples + 1, t, [&](int64_t s, float* out) {
    for (int64_t i = 0; i < x.numel(); ++i)
      out[i] = s > 0 && subsets[s - 1][i % hw] ? 0.0f : x.f32()[i];
  });
  std::vector<double> drops(samples);
  for (int64_t s = 0; s < samples; ++s) drops[s] = f[0] - f[s + 1];
  MetricResult res;
  res.value = pearson(sums, drops);
  res.extras["n"] = static_cast<double>(n);
  return res;
}

// Infidelity: E_I[(Iᵀ R − (f(x) − f(x − I)))²] with Gaussian I; with normalise, R is first
// scaled by the optimal β. Yeh et al. 2019, "On the (In)fidelity and Sensitivity of
// Explanations".
MetricResult infidelity(EvalInput& in, const ParamValues& p) {
  const Tensor& x = in.x;
  const int64_t samples = p.integer("samples");
  const double sigma = p.number("std");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  std::vector<float> noise(samples * x.numel());
  std::vector<double> dot(samples, 0.0);
  for (int64_t s = 0; s < samples; ++s) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float v = static_cast<float>(sigma * rng.normal());
      noise[s * x.numel() + i] = v;
      dot[s] += v * in.attribution.relevance.f32()[i];
    }
  }
  const Target t = score_target(in, p);
  in.progress.add_total(samples + 1);
  BatchScorer scorer(in.model, x, p.integer("batch-size"), in.progress);
  const std::vector<double> f = scorer.scores(samples + 1, t, [&](int64_t s, float* out) {
    for (int64_t i = 0; i < x.numel(); ++i)
      out[i] = x.f32()[i] - (s > 0 ? noise[(s - 1) * x.numel() + i] : 0.0f);
  });
  double num = 0, den = 0;
  for (int64_t s = 0; s < samples; ++s) {
    num += dot[s] * (f[0] - f[s + 1]);
    den += dot[s] * dot[s];
  }
  const double beta = p.flag("normalise") && den > 0 ? num / den : 1.0;
  double sum = 0;
  for (int64_t s = 0; s < samples; ++s) {
    const double e = beta * dot[s] - (f[0] - f[s + 1]);
    sum += e * e;
  }
  MetricResult r;
  r.value = sum / static_cast<double>(samples);
  r.extras["beta"] = beta;
  return r;
}

// Max-sensitivity: max over inputs in an L∞ ball of ‖R(x + δ) − R(x)‖ / ‖R(x)‖. Yeh et al. 2019.
MetricResult max_sensitivity(EvalInput& in, const ParamValues& p) {
  const Tensor& x = in.x;
  const auto ranges = element_ranges(in.model.card(), x);
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  double norm = 0;
  for (int64_t i = 0; i < x.numel(); ++i)
    norm +=
        static_cast<double>(in.attribution.relevance.f32()[i]) * in.attribution.relevance.f32()[i];
  norm = std::sqrt(norm);
  TargetSpec spec;
  spec.class_index = in.attribution.target.class_index;
  spec.space = in.attribution.target.space;
  const int64_t samples = p.integer("samples");
  in.progress.add_total(samples);
  MetricResult r;
  for (int64_t s = 0; s < samples; ++s) {
    Tensor moved = x.clone();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const auto [lo, hi] = ranges[i];
      moved.f32()[i] +=
          static_cast<float>(p.number("radius") * (hi - lo) * (2 * rng.uniform() - 1));
    }
    Progress inner({}, in.progress.cancel_flag());
    const Attribution a =
        explain(in.model, moved, in.attribution.method, spec, in.method_params, inner);
    double diff = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double d = a.relevance.f32()[i] - in.attribution.relevance.f32()[i];
      diff += d * d;
    }
    r.value = std::max(r.value, norm > 0 ? std::sqrt(diff) / norm : std::sqrt(diff));
    in.progress.step();
  }
  return r;
}

// The metric's own parameters followed by batch-size and seed (shared with the methods).
std::vector<ParamSpec> with_batch(std::vector<ParamSpec> params) {
  for (const ParamSpec& s : batch_params()) params.push_back(s);
  return params;
}

ParamSpec score_param(const std::string& def) {
  return {"score", ParamType::choice, def, 0, 0, {"logit", "prob", "logprob"}, "the target score"};
}

}  // namespace

void register_robustness(std::vector<MetricInfo>& r) {
  r.push_back(
      {"sensitivity-n", "faithfulness", "map", true,
       "Ancona et al. 2018, \"Towards better understanding of gradient-based attribution "
       "methods\"; Samek et al. 2019, ch. 9",
       "Pearson correlation between the relevance of random pixel subsets and the score "
       "drop when they are zeroed",
       with_batch(
           {{"fraction", ParamType::number, "0.1", 0.0001, 1, {}, "n as a fraction of the pixels"},
            {"samples", ParamType::integer, "64", 2, 100000, {}, "random subsets"},
            score_param("logit")}),
       sensitivity_n});
  r.push_back(
      {"infidelity", "faithfulness", "map", false,
       "Yeh et al. 2019, \"On the (In)fidelity and Sensitivity of Explanations\"",
       "mean squared error between Iᵀ R and the score change f(x) − f(x − I) under Gaussian "
       "perturbations I",
       with_batch(
           {{"samples", ParamType::integer, "64", 2, 100000, {}, "perturbations"},
            {"std", ParamType::number, "0.1", 0, 1000, {}, "σ of the Gaussian perturbation"},
            {"normalise", ParamType::boolean, "true", 0, 0, {}, "scale R by the optimal β first"},
            score_param("logit")}),
       infidelity});
  r.push_back({"max-sensitivity",
               "robustness",
               "method",
               false,
               "Yeh et al. 2019, \"On the (In)fidelity and Sensitivity of Explanations\"",
               "largest relative change of the map over inputs in a small L∞ ball (re-runs the "
               "method)",
               {{"samples", ParamType::integer, "8", 1, 10000, {}, "perturbed inputs"},
                {"radius",
                 ParamType::number,
                 "0.02",
                 0,
                 10,
                 {},
                 "ball radius as a fraction of the input range"},
                {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed"}},
               max_sensitivity});
}

}  // namespace heatlens
