// LIME: a weighted linear surrogate fitted to the model's scores on random on/off patterns of
// feature groups, weighted by an exponential kernel on the cosine distance to the input.
// Ribeiro, Singh & Guestrin 2016, "Why Should I Trust You?"; K-Lasso as in Samek et al. (eds.)
// 2019, "Explainable AI", ch. 22 (kernel width 0.25).
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"
#include "explain/perturbation/regression.h"

namespace heatlens {

namespace {

constexpr int64_t kMaxSurrogateFeatures = 2000;

Attribution run_lime(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                     Progress& progress) {
  const FeatureGroups groups = make_groups(p, x, m.card());
  const int64_t d = groups.count, n = p.integer("samples");
  HEATLENS_CHECK(d <= kMaxSurrogateFeatures, "lime fits one weight per feature group and got "
                                                 << d << " groups (at most "
                                                 << kMaxSurrogateFeatures
                                                 << "); choose a coarser grouping");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  Rng noise_rng(static_cast<uint64_t>(p.integer("seed")) + 1);
  // Sample 0 is the input itself; the others switch each group on with probability ½.
  std::vector<double> z(n * d, 1.0);
  for (int64_t i = 1; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) z[i * d + j] = rng.uniform() < 0.5 ? 1.0 : 0.0;
  Obfuscator obf(p, x, m.card());
  progress.set_total(n);
  BatchScorer scorer(m, x, p.integer("batch-size"), progress);
  const std::vector<double> y = scorer.scores(n, t, [&](int64_t i, float* in) {
    const float* r = obf.sample(noise_rng).f32();
    for (int64_t k = 0; k < x.numel(); ++k)
      in[k] = z[i * d + groups.group[k]] > 0 ? x.f32()[k] : r[k];
  });
  // Cosine distance to the all-ones pattern is 1 − √(on/d); kernel √exp(−dist²/width²).
  const double width = p.number("kernel-width");
  const bool exponential = p.text("kernel") == "exponential";
  std::vector<double> w(n);
  for (int64_t i = 0; i < n; ++i) {
    double on = 0;
    for (int64_t j = 0; j < d; ++j) on += z[i * d + j];
    const double dist = on > 0 ? 1.0 - std::sqrt(on / d) : 1.0;
    w[i] = exponential ? std::sqrt(std::exp(-dist * dist / (width * width))) : 1.0;
  }
  std::vector<int64_t> selected;
  if (p.text("regression") == "k-lasso") {
    selected = lasso_path_select(z, n, d, y, w, p.integer("k"));
    HEATLENS_CHECK(!selected.empty(), "k-lasso selected no feature (the scores do not vary)");
  }
  const LinearFit fit = weighted_ridge(z, n, d, y, w, p.number("alpha"), selected);
  Attribution out;
  out.relevance = paint_groups(groups, fit.coef, x.shape());
  out.layer_map = Tensor({1, d});
  for (int64_t j = 0; j < d; ++j) out.layer_map.f32()[j] = static_cast<float>(fit.coef[j]);
  out.notes["groups"] = std::to_string(d);
  out.notes["surrogate-r2"] = std::to_string(fit.r2);
  out.notes["surrogate-intercept"] = std::to_string(fit.intercept);
  if (!selected.empty()) {
    std::ostringstream s;
    for (size_t i = 0; i < selected.size(); ++i) s << (i ? "," : "") << selected[i];
    out.notes["selected-groups"] = s.str();
  }
  return out;
}

}  // namespace

void register_lime(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"samples", ParamType::integer, "1000", 2, 1000000, {}, "perturbed samples"},
      {"kernel",
       ParamType::choice,
       "exponential",
       0,
       0,
       {"exponential", "constant"},
       "sample weights: exponential kernel on the cosine distance, or all equal"},
      {"kernel-width",
       ParamType::number,
       "0.25",
       0.001,
       100,
       {},
       "width of the exponential kernel"},
      {"regression",
       ParamType::choice,
       "ridge",
       0,
       0,
       {"ridge", "k-lasso"},
       "surrogate: ridge on all groups, or ridge on the K groups chosen along the Lasso path"},
      {"k", ParamType::integer, "10", 1, 100000, {}, "groups kept by regression=k-lasso"},
      {"alpha", ParamType::number, "1", 0, 1e9, {}, "ridge regularisation (as LIME's default 1)"},
  };
  for (ParamSpec& s : grouping_params("slic")) params.push_back(s);
  for (ParamSpec& s : obfuscation_params("zero")) params.push_back(s);
  for (ParamSpec& s : batch_params()) params.push_back(s);
  r.push_back({"lime", MethodFamily::perturbation, "forward", "1 forward per sample",
               "Ribeiro, Singh & Guestrin 2016, \"Why Should I Trust You?\"; K-Lasso: Samek et al. "
               "(eds.) 2019, Explainable AI, ch. 22",
               "weights of a local linear surrogate fitted on random on/off feature groups", params,
               run_lime});
}

}  // namespace heatlens
