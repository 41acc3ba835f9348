// NoiseTunnel: SmoothGrad, SmoothGrad² and VarGrad around any gradient-family method.
#include <cstring>

#include "core/error.h"
#include "core/rng.h"
#include "explain/baselines.h"
#include "explain/method.h"

namespace heatlens {

namespace {

enum class Aggregate { mean, mean_square, variance };

// Runs `inner` on n noisy copies x + ε, ε ~ N(0, (stdev·range)²), and aggregates the maps.
// SmoothGrad: Smilkov et al. 2017; SmoothGrad² and VarGrad: Adebayo et al. 2018, "Sanity
// Checks for Saliency Maps" and Hooker et al. 2019.
Attribution run_noise_tunnel(ExplainModel& m, const Tensor& x, const Target& t,
                             const ParamValues& p, Progress& progress, Aggregate how) {
  const int64_t n = p.integer("samples");
  const std::string inner_name = p.text("inner");
  const MethodInfo& inner = find_method(inner_name);
  HEATLENS_CHECK(inner.family == MethodFamily::gradient && inner_name != "smoothgrad" &&
                     inner_name != "smoothgrad-square" && inner_name != "vargrad",
                 "inner must be a gradient-family method, got '" << inner_name << "'");
  const ParamValues inner_params = ParamValues::resolve(inner.params, {});
  const auto [lo, hi] = input_range(m.card(), x, 0);
  const double sigma = p.number("stdev") * (hi - lo);
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  std::vector<Tensor> noisy;
  for (int64_t k = 0; k < n; ++k) {
    Tensor q(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i)
      q.f32()[i] = static_cast<float>(x.f32()[i] + sigma * rng.normal());
    noisy.push_back(q);
  }
  progress.set_total(n);
  std::vector<double> sum(x.numel(), 0.0), sum_sq(x.numel(), 0.0);
  auto add = [&](const float* r) {
    for (int64_t i = 0; i < x.numel(); ++i) {
      sum[i] += r[i];
      sum_sq[i] += static_cast<double>(r[i]) * r[i];
    }
  };
  if (inner_name == "gradient") {
    // The plain gradient batches: one engine pass for many noisy samples.
    const int64_t batch_size = p.integer("batch-size");
    for (int64_t k0 = 0; k0 < n; k0 += batch_size) {
      const int64_t b = std::min(batch_size, n - k0);
      Shape s = x.shape();
      s[0] = b;
      Tensor batch(s);
      for (int64_t j = 0; j < b; ++j)
        std::memcpy(batch.f32() + j * x.numel(), noisy[k0 + j].f32(), x.numel() * sizeof(float));
      Tensor g = m.gradient(batch, t).grad;
      for (int64_t j = 0; j < b; ++j) add(g.f32() + j * x.numel());
      progress.step(b);
    }
  } else {
    Progress quiet;
    for (int64_t k = 0; k < n; ++k) {
      Attribution a = inner.run(m, noisy[k], t, inner_params, quiet);
      add(a.relevance.f32());
      progress.step();
    }
  }
  Attribution out;
  out.relevance = Tensor(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double mean = sum[i] / n, mean_sq = sum_sq[i] / n;
    out.relevance.f32()[i] =
        static_cast<float>(how == Aggregate::mean          ? mean
                           : how == Aggregate::mean_square ? mean_sq
                                                           : mean_sq - mean * mean);
  }
  out.signed_map = how == Aggregate::mean;
  return out;
}

std::vector<ParamSpec> tunnel_params() {
  return {{"samples", ParamType::integer, "25", 1, 10000, {}, "number of noisy samples"},
          {"stdev",
           ParamType::number,
           "0.15",
           0,
           10,
           {},
           "noise standard deviation as a fraction of the input range"},
          {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed"},
          {"inner",
           ParamType::choice,
           "gradient",
           0,
           0,
           {"gradient", "gradient-x-input", "integrated-gradients", "guided-backprop", "deconvnet",
            "deeplift"},
           "the gradient-family method to smooth"},
          {"batch-size",
           ParamType::integer,
           "16",
           1,
           1024,
           {},
           "samples per engine pass (inner=gradient)"}};
}

}  // namespace

void register_noise_tunnel(std::vector<MethodInfo>& r) {
  r.push_back({"smoothgrad", MethodFamily::gradient, "gradient", "samples × inner",
               "Smilkov et al. 2017, SmoothGrad: removing noise by adding noise",
               "the inner method's map averaged over noisy copies of the input", tunnel_params(),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_noise_tunnel(m, x, t, p, pr, Aggregate::mean); }});
  r.push_back(
      {"smoothgrad-square", MethodFamily::gradient, "gradient", "samples × inner",
       "Hooker et al. 2019, A Benchmark for Interpretability Methods in Deep Neural Networks",
       "the mean of the squared maps over noisy copies", tunnel_params(),
       [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p, Progress& pr) {
         return run_noise_tunnel(m, x, t, p, pr, Aggregate::mean_square);
       }});
  r.push_back({"vargrad", MethodFamily::gradient, "gradient", "samples × inner",
               "Adebayo et al. 2018, Sanity Checks for Saliency Maps (VarGrad)",
               "the variance of the maps over noisy copies", tunnel_params(),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_noise_tunnel(m, x, t, p, pr, Aggregate::variance); }});
}

}  // namespace heatlens
