// Shapley values of feature groups: Kernel SHAP (weighted regression with the Shapley kernel,
// exact when every coalition can be enumerated) and permutation sampling.
#include <cmath>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"
#include "explain/perturbation/regression.h"

namespace heatlens {

namespace {

constexpr int64_t kMaxShapleyFeatures = 2000;

double binomial(int64_t n, int64_t k) {
  double c = 1;
  for (int64_t i = 1; i <= k; ++i) c = c * static_cast<double>(n - k + i) / static_cast<double>(i);
  return c;
}

// Writes x where the group is kept, the replacement elsewhere.
void compose(const Tensor& x, const float* replacement, const FeatureGroups& g,
             const std::vector<char>& keep, float* in) {
  for (int64_t k = 0; k < x.numel(); ++k) in[k] = keep[g.group[k]] ? x.f32()[k] : replacement[k];
}

// Kernel SHAP: min Σ_z π(z)(f(z) − f(∅) − Σ_i z_i φ_i)² subject to Σ φ_i = f(x) − f(∅), with
// π(z) = (M−1) / (C(M,|z|)·|z|·(M−|z|)). Lundberg & Lee 2017, "A Unified Approach to
// Interpreting Model Predictions".
Attribution run_kernel_shap(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                            Progress& progress) {
  const FeatureGroups g = make_groups(p, x, m.card());
  const int64_t d = g.count;
  HEATLENS_CHECK(d <= kMaxShapleyFeatures, "kernel-shap got " << d << " feature groups (at most "
                                                              << kMaxShapleyFeatures
                                                              << "); choose a coarser grouping");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  const bool exact = d <= p.integer("exact-max-features");
  // Coalitions (rows of z) with their regression weights.
  std::vector<char> z;
  std::vector<double> weight;
  if (d >= 2 && exact) {
    for (uint64_t mask = 1; mask + 1 < (uint64_t{1} << d); ++mask) {
      int64_t size = 0;
      for (int64_t j = 0; j < d; ++j) {
        const char on = (mask >> j) & 1;
        z.push_back(on);
        size += on;
      }
      weight.push_back((d - 1) / (binomial(d, size) * size * (d - size)));
    }
  } else if (d >= 2) {
    // Sizes drawn with probability ∝ (M−1)/(s(M−s)), then a uniform subset of that size: the
    // sample already follows the kernel, so every row weighs the same.
    std::vector<double> cumulative(d, 0);
    for (int64_t s = 1; s < d; ++s)
      cumulative[s] = cumulative[s - 1] + 1.0 / (static_cast<double>(s) * (d - s));
    std::vector<int64_t> order(d);
    for (int64_t i = 0; i < p.integer("samples"); ++i) {
      const double u = rng.uniform() * cumulative[d - 1];
      int64_t size = 1;
      while (size < d - 1 && cumulative[size] < u) ++size;
      for (int64_t j = 0; j < d; ++j) order[j] = j;
      std::vector<char> row(d, 0);
      for (int64_t j = 0; j < size; ++j) {
        const int64_t pick = j + static_cast<int64_t>(rng.below(d - j));
        std::swap(order[j], order[pick]);
        row[order[j]] = 1;
      }
      z.insert(z.end(), row.begin(), row.end());
      weight.push_back(1.0);
    }
  }
  const int64_t n = static_cast<int64_t>(weight.size());
  Obfuscator obf(p, x, m.card());
  Rng noise_rng(static_cast<uint64_t>(p.integer("seed")) + 1);
  progress.set_total(n + 2);
  BatchScorer scorer(m, x, p.integer("batch-size"), progress);
  std::vector<char> keep(d);
  const std::vector<double> ends = scorer.scores(2, t, [&](int64_t i, float* in) {
    std::fill(keep.begin(), keep.end(), static_cast<char>(i));
    compose(x, obf.sample(noise_rng).f32(), g, keep, in);
  });
  const double f_empty = ends[0], delta = ends[1] - ends[0];
  const std::vector<double> f = scorer.scores(n, t, [&](int64_t i, float* in) {
    std::vector<char> row(z.begin() + i * d, z.begin() + (i + 1) * d);
    compose(x, obf.sample(noise_rng).f32(), g, row, in);
  });
  std::vector<double> phi(d, delta);
  if (d >= 2) {
    // Eliminate φ_M = Δ − Σ_{j<M} φ_j: (y − z_M Δ) = Σ_{j<M} (z_j − z_M) φ_j.
    const int64_t q = d - 1;
    std::vector<double> a(q * q, 0), b(q, 0), row(q);
    for (int64_t i = 0; i < n; ++i) {
      const double last = z[i * d + q];
      for (int64_t j = 0; j < q; ++j) row[j] = z[i * d + j] - last;
      const double target = f[i] - f_empty - last * delta;
      for (int64_t j = 0; j < q; ++j) {
        b[j] += weight[i] * row[j] * target;
        for (int64_t k = 0; k < q; ++k) a[j * q + k] += weight[i] * row[j] * row[k];
      }
    }
    const std::vector<double> head = solve_spd(a, b, q);
    double rest = delta;
    for (int64_t j = 0; j < q; ++j) {
      phi[j] = head[j];
      rest -= head[j];
    }
    phi[q] = rest;
  }
  Attribution out;
  out.relevance = paint_groups(g, phi, x.shape());
  out.layer_map = Tensor({1, d});
  for (int64_t j = 0; j < d; ++j) out.layer_map.f32()[j] = static_cast<float>(phi[j]);
  out.notes["groups"] = std::to_string(d);
  out.notes["mode"] = exact ? "exact" : "sampled";
  out.notes["coalitions"] = std::to_string(n);
  return out;
}

// Shapley value sampling: the average marginal contribution of each group over random
// permutations. Castro, Gómez & Tejada 2009, "Polynomial calculation of the Shapley value based
// on sampling"; Štrumbelj & Kononenko 2010.
Attribution run_shapley_sampling(ExplainModel& m, const Tensor& x, const Target& t,
                                 const ParamValues& p, Progress& progress) {
  const FeatureGroups g = make_groups(p, x, m.card());
  const int64_t d = g.count, perms = p.integer("samples");
  HEATLENS_CHECK(d <= kMaxShapleyFeatures * 50, "shapley-sampling got "
                                                    << d
                                                    << " feature groups; "
                                                       "choose a coarser grouping");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  // rank[p·d + group]: the position of the group in permutation p.
  std::vector<int64_t> order(d), rank(perms * d), group_at(perms * d);
  for (int64_t q = 0; q < perms; ++q) {
    for (int64_t j = 0; j < d; ++j) order[j] = j;
    for (int64_t j = d - 1; j > 0; --j)
      std::swap(order[j], order[static_cast<int64_t>(rng.below(j + 1))]);
    for (int64_t j = 0; j < d; ++j) {
      rank[q * d + order[j]] = j;
      group_at[q * d + j] = order[j];
    }
  }
  Obfuscator obf(p, x, m.card());
  Rng noise_rng(static_cast<uint64_t>(p.integer("seed")) + 1);
  progress.set_total(perms * d + 1);
  BatchScorer scorer(m, x, p.integer("batch-size"), progress);
  const double f_empty = scorer.scores(1, t, [&](int64_t, float* in) {
    const float* r = obf.sample(noise_rng).f32();
    for (int64_t k = 0; k < x.numel(); ++k) in[k] = r[k];
  })[0];
  // Evaluation i: permutation i / d with its first (i % d) + 1 groups kept.
  const std::vector<double> f = scorer.scores(perms * d, t, [&](int64_t i, float* in) {
    const int64_t q = i / d, last = i % d;
    const float* r = obf.sample(noise_rng).f32();
    for (int64_t k = 0; k < x.numel(); ++k)
      in[k] = rank[q * d + g.group[k]] <= last ? x.f32()[k] : r[k];
  });
  std::vector<double> phi(d, 0);
  for (int64_t q = 0; q < perms; ++q) {
    for (int64_t j = 0; j < d; ++j) {
      const double before = j == 0 ? f_empty : f[q * d + j - 1];
      phi[group_at[q * d + j]] += (f[q * d + j] - before) / static_cast<double>(perms);
    }
  }
  Attribution out;
  out.relevance = paint_groups(g, phi, x.shape());
  out.layer_map = Tensor({1, d});
  for (int64_t j = 0; j < d; ++j) out.layer_map.f32()[j] = static_cast<float>(phi[j]);
  out.notes["groups"] = std::to_string(d);
  return out;
}

std::vector<ParamSpec> shared(const std::string& samples_default, const std::string& samples_help) {
  std::vector<ParamSpec> params = {
      {"samples", ParamType::integer, samples_default, 1, 10000000, {}, samples_help}};
  for (ParamSpec& s : grouping_params("slic")) params.push_back(s);
  for (ParamSpec& s : obfuscation_params("zero")) params.push_back(s);
  for (ParamSpec& s : batch_params()) params.push_back(s);
  return params;
}

}  // namespace

void register_shapley(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> kernel = shared("1000", "sampled coalitions when not exact");
  kernel.insert(kernel.begin() + 1,
                {"exact-max-features",
                 ParamType::integer,
                 "12",
                 0,
                 20,
                 {},
                 "enumerate all 2^M coalitions when the groups number at most this"});
  r.push_back({"kernel-shap", MethodFamily::perturbation, "forward",
               "1 forward per coalition (2^M − 2 when exact)",
               "Lundberg & Lee 2017, \"A Unified Approach to Interpreting Model Predictions\"",
               "Shapley values of feature groups by weighted regression with the Shapley kernel",
               kernel, run_kernel_shap});
  r.push_back({"shapley-sampling", MethodFamily::perturbation, "forward",
               "M forwards per permutation (+1)",
               "Castro, Gómez & Tejada 2009, \"Polynomial calculation of the Shapley value based "
               "on sampling\"",
               "Shapley values of feature groups as average marginal contributions over random "
               "permutations",
               shared("16", "random permutations"), run_shapley_sampling});
}

}  // namespace heatlens
