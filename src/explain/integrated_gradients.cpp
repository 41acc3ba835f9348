// Path methods: Integrated Gradients and Expected Gradients (GradientSHAP).
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/rng.h"
#include "explain/baselines.h"
#include "explain/method.h"
#include "media/npy.h"

#include <dirent.h>

namespace heatlens {

namespace {

// Points α_k in [0, 1] and weights w_k with Σ w_k g(α_k) ≈ ∫₀¹ g(α) dα.
void quadrature(const std::string& rule, int64_t n, std::vector<double>& alpha,
                std::vector<double>& weight) {
  alpha.clear();
  weight.clear();
  if (rule == "gauss-legendre") {
    for (int64_t i = 1; i <= n; ++i) {
      double z = std::cos(3.14159265358979323846 * (i - 0.25) / (n + 0.5)), pp = 1, z1;
      do {
        double p1 = 1, p2 = 0;
        for (int64_t j = 1; j <= n; ++j) {
          const double p3 = p2;
          p2 = p1;
          p1 = ((2.0 * j - 1.0) * z * p2 - (j - 1.0) * p3) / j;
        }
        pp = n * (z * p1 - p2) / (z * z - 1.0);
        z1 = z;
        z = z1 - p1 / pp;
      } while (std::fabs(z - z1) > 1e-15);
      alpha.push_back((1.0 - z) / 2.0);
      weight.push_back(1.0 / ((1.0 - z * z) * pp * pp));  // 2/((1−z²)p′²) halved for [0, 1]
    }
    return;
  }
  if (rule == "riemann-trapezoid") {
    HEATLENS_CHECK(n >= 2, "rule=riemann-trapezoid needs at least 2 steps");
    for (int64_t k = 0; k < n; ++k) {
      alpha.push_back(static_cast<double>(k) / (n - 1));
      weight.push_back((k == 0 || k == n - 1 ? 0.5 : 1.0) / (n - 1));
    }
    return;
  }
  const double shift = rule == "riemann-left" ? 0.0 : rule == "riemann-right" ? 1.0 : 0.5;
  for (int64_t k = 0; k < n; ++k) {
    alpha.push_back((k + shift) / n);
    weight.push_back(1.0 / n);
  }
}

// Σ_k w_k ∇f(p_k) for points p_k (each [1, ...]) in batches; returns the weighted sum.
Tensor weighted_gradient_sum(ExplainModel& m, const Target& t, const std::vector<Tensor>& points,
                             const std::vector<double>& weights, int64_t batch_size,
                             Progress& progress) {
  const Tensor& first = points[0];
  const int64_t per = first.numel();
  Tensor sum(first.shape());
  for (size_t k0 = 0; k0 < points.size(); k0 += batch_size) {
    const int64_t b = std::min<int64_t>(batch_size, static_cast<int64_t>(points.size() - k0));
    Shape s = first.shape();
    s[0] = b;
    Tensor batch(s);
    for (int64_t j = 0; j < b; ++j)
      std::memcpy(batch.f32() + j * per, points[k0 + j].f32(), per * sizeof(float));
    Tensor g = m.gradient(batch, t).grad;
    for (int64_t j = 0; j < b; ++j) {
      const double w = weights[k0 + j];
      for (int64_t i = 0; i < per; ++i)
        sum.f32()[i] += static_cast<float>(w * g.f32()[j * per + i]);
    }
    progress.step(b);
  }
  return sum;
}

// Integrated Gradients: (x − x̄) ⊙ ∫₀¹ ∇f(x̄ + α(x − x̄)) dα; completeness delta Σ R − (f(x) − f(x̄)).
// Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep Networks".
Attribution run_integrated_gradients(ExplainModel& m, const Tensor& x, const Target& t,
                                     const ParamValues& p, Progress& progress) {
  const Tensor base =
      make_baseline(p.text("baseline"), x, m.card(), p.number("blur-sigma"), p.integer("seed"));
  std::vector<double> alpha, weight;
  quadrature(p.text("rule"), p.integer("steps"), alpha, weight);
  progress.set_total(static_cast<int64_t>(alpha.size()) + 1);
  std::vector<Tensor> points;
  for (double a : alpha) {
    Tensor q(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i)
      q.f32()[i] = static_cast<float>(base.f32()[i] + a * (x.f32()[i] - base.f32()[i]));
    points.push_back(q);
  }
  Tensor avg = weighted_gradient_sum(m, t, points, weight, p.integer("batch-size"), progress);
  Attribution out;
  out.relevance = Tensor(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i)
    out.relevance.f32()[i] = (x.f32()[i] - base.f32()[i]) * avg.f32()[i];
  Tensor lx = m.logits(x), lb = m.logits(base);
  progress.step();
  double sum = 0;
  for (int64_t i = 0; i < x.numel(); ++i) sum += out.relevance.f32()[i];
  out.delta = sum - (ExplainModel::score(lx.f32(), lx.dim(1), t) -
                     ExplainModel::score(lb.f32(), lb.dim(1), t));
  out.delta_name = "completeness";
  return out;
}

// Expected Gradients / GradientSHAP: E_{x̄ ~ D, α ~ U(0,1)} [(x − x̄) ⊙ ∇f(x̄ + α(x − x̄) + ε)].
// Erion et al. 2021, "Improving performance of deep learning models with axiomatic attribution
// priors and expected gradients"; Lundberg & Lee 2017, "A Unified Approach to Interpreting Model
// Predictions".
Attribution run_expected_gradients(ExplainModel& m, const Tensor& x, const Target& t,
                                   const ParamValues& p, Progress& progress) {
  const std::string source = p.text("baselines");
  std::vector<Tensor> pool;
  if (source != "uniform-noise" && source != "gaussian-noise") {
    DIR* d = opendir(source.c_str());
    HEATLENS_CHECK(
        d != nullptr,
        "baselines must be uniform-noise, gaussian-noise or a folder of .npy inputs; cannot open '"
            << source << "'");
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".npy") == 0)
        files.push_back(source + "/" + n);
    }
    closedir(d);
    std::sort(files.begin(), files.end());
    HEATLENS_CHECK(!files.empty(), "no .npy files in '" << source << "'");
    for (const auto& f : files) {
      Tensor b = read_npy(f);
      HEATLENS_CHECK(b.numel() == x.numel(),
                     "baseline '" << f << "' has shape " << shape_str(b.shape()));
      pool.push_back(b.reshaped(x.shape()));
    }
  }
  const int64_t n = p.integer("samples");
  const double stdev = p.number("stdev");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  progress.set_total(n);
  const auto ranges = channel_ranges(m.card(), x);
  std::vector<Tensor> points, bases;
  for (int64_t k = 0; k < n; ++k) {
    Tensor b(x.shape());
    if (!pool.empty()) {
      b = pool[rng.below(pool.size())];
    } else {
      const int64_t channels = x.rank() >= 2 ? x.dim(1) : 1, per_channel = x.numel() / channels;
      for (int64_t i = 0; i < x.numel(); ++i) {
        const auto [lo, hi] = ranges[(i / per_channel) % channels];
        b.f32()[i] = source == "uniform-noise"
                         ? static_cast<float>(lo + (hi - lo) * rng.uniform())
                         : static_cast<float>(0.5 * (lo + hi) + 0.25 * (hi - lo) * rng.normal());
      }
    }
    const double a = rng.uniform();
    const auto [lo, hi] = ranges[0];
    Tensor q(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) {
      q.f32()[i] = static_cast<float>(b.f32()[i] + a * (x.f32()[i] - b.f32()[i]) +
                                      stdev * (hi - lo) * (stdev > 0 ? rng.normal() : 0.0));
    }
    points.push_back(q);
    bases.push_back(b);
  }
  // Each sample's gradient is multiplied by its own (x − x̄_k), so weights are applied per sample.
  Attribution out;
  out.relevance = Tensor(x.shape());
  const int64_t batch_size = p.integer("batch-size");
  for (size_t k0 = 0; k0 < points.size(); k0 += batch_size) {
    const int64_t b = std::min<int64_t>(batch_size, static_cast<int64_t>(points.size() - k0));
    Shape s = x.shape();
    s[0] = b;
    Tensor batch(s);
    for (int64_t j = 0; j < b; ++j)
      std::memcpy(batch.f32() + j * x.numel(), points[k0 + j].f32(), x.numel() * sizeof(float));
    Tensor g = m.gradient(batch, t).grad;
    for (int64_t j = 0; j < b; ++j) {
      for (int64_t i = 0; i < x.numel(); ++i) {
        out.relevance.f32()[i] += (x.f32()[i] - bases[k0 + j].f32()[i]) *
                                  g.f32()[j * x.numel() + i] / static_cast<float>(n);
      }
    }
    progress.step(b);
  }
  return out;
}

}  // namespace

void register_integrated_gradients(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> ig = baseline_params();
  ig.push_back({"steps", ParamType::integer, "32", 1, 4096, {}, "number of points on the path"});
  ig.push_back(
      {"rule",
       ParamType::choice,
       "gauss-legendre",
       0,
       0,
       {"riemann-left", "riemann-right", "riemann-middle", "riemann-trapezoid", "gauss-legendre"},
       "quadrature rule for the path integral"});
  ig.push_back(
      {"batch-size", ParamType::integer, "16", 1, 1024, {}, "path points per engine pass"});
  r.push_back(
      {"integrated-gradients", MethodFamily::gradient, "gradient",
       "steps × (1 forward + 1 backward)",
       "Sundararajan, Taly & Yan 2017, Axiomatic Attribution for Deep Networks",
       "the gradient averaged along the straight path from a baseline, times (input − baseline)",
       ig, run_integrated_gradients});
  r.push_back(
      {"expected-gradients",
       MethodFamily::gradient,
       "gradient",
       "samples × (1 forward + 1 backward)",
       "Erion et al. 2021, Expected Gradients; Lundberg & Lee 2017, SHAP (GradientSHAP)",
       "Integrated Gradients averaged over random baselines and path positions",
       {{"baselines",
         ParamType::text,
         "uniform-noise",
         0,
         0,
         {},
         "uniform-noise, gaussian-noise, or a folder of .npy inputs to draw baselines from"},
        {"samples", ParamType::integer, "32", 1, 4096, {}, "number of (baseline, α) samples"},
        {"stdev",
         ParamType::number,
         "0",
         0,
         10,
         {},
         "Gaussian noise on the samples, as a fraction of the input range"},
        {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed"},
        {"batch-size", ParamType::integer, "16", 1, 1024, {}, "samples per engine pass"}},
       run_expected_gradients});
}

}  // namespace heatlens
