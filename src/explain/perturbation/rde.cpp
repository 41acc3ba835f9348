// Rate-distortion explanation: the sparsest mask s that keeps the scores when the rest is
// replaced by noise, min ½·E_n‖Φ(x) − Φ(x⊙s + n⊙(1−s))‖² + λ‖s‖₁, relaxed to s ∈ [0, 1]
// (projected Adam) or to relaxed Bernoulli samples (concrete). MacDonald, Wäldchen, Hauch &
// Kutyniok 2019, "A Rate-Distortion Framework for Explaining Neural Network Decisions"; as used
// in "In-Distribution Interpretability for Challenging Modalities".
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/distortion.h"

namespace heatlens {

namespace {

// D₀ = E_n ½‖Φ(x) − Φ(n)‖², everything replaced by the obfuscation (its noise draws come from
// the same generator, so results stay reproducible).
double full_distortion(ExplainModel& m, DistortionQuery& q, int64_t samples, int64_t batch,
                       Rng& rng) {
  const int64_t per = q.input(0).numel(), total = q.inputs() * samples;
  double sum = 0;
  for (int64_t start = 0; start < total; start += batch) {
    const int64_t nb = std::min(batch, total - start);
    Shape shape = q.input(0).shape();
    shape[0] = nb;
    Tensor z(shape);
    for (int64_t j = 0; j < nb; ++j) {
      const float* noise = q.obfuscator((start + j) / samples).sample(rng).f32();
      std::memcpy(z.f32() + j * per, noise, per * sizeof(float));
    }
    const Tensor logits = m.logits(z);
    for (int64_t j = 0; j < nb; ++j)
      sum += q.distortion(logits.f32() + j * logits.dim(1), (start + j) / samples);
  }
  return sum / static_cast<double>(total);
}

Attribution run_rde(ExplainModel& m, const Tensor& xs, const Target& t, const ParamValues& p,
                    Progress& progress) {
  DistortionQuery q(m, xs, t, p);
  const FeatureGroups& groups = q.groups();
  const int64_t n_groups = groups.count, inputs = q.inputs(), samples = p.integer("samples");
  const int64_t per = q.input(0).numel(), batch = p.integer("batch-size");
  const bool concrete = p.text("mode") == "concrete";
  const double lr = p.number("lr"), tau = p.number("temperature");
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  const double full = p.text("rate") == "relative" ? full_distortion(m, q, samples, batch, rng) : 0;
  // The rate's weight per unit of mask: λ, or λ·D₀/groups (rate=relative: keeping every group
  // costs λ times the distortion of replacing them all).
  const double lambda =
      p.text("rate") == "relative" ? p.number("lambda") * full / n_groups : p.number("lambda");
  // s (continuous) or the Bernoulli parameters θ (concrete), one per group.
  std::vector<double> s(n_groups, p.number("init")), m1(n_groups, 0), m2(n_groups, 0);
  const int64_t steps = p.integer("steps");
  progress.set_total(steps);
  double distortion = 0;
  const int64_t total = inputs * samples;
  std::vector<float> diff, sampled;
  for (int64_t step = 1; step <= steps; ++step) {
    std::vector<double> grad(n_groups, 0.0);
    distortion = 0;
    for (int64_t start = 0; start < total; start += batch) {
      progress.check_cancel();
      const int64_t nb = std::min(batch, total - start);
      Shape shape = q.input(0).shape();
      shape[0] = nb;
      Tensor z(shape);
      diff.assign(nb * per, 0.0f);
      sampled.assign(nb * n_groups, 0.0f);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t b = (start + j) / samples;
        float* sj = &sampled[j * n_groups];
        for (int64_t g = 0; g < n_groups; ++g) {
          if (!concrete) {
            sj[g] = static_cast<float>(s[g]);
            continue;
          }
          const double u = std::clamp(rng.uniform(), 1e-7, 1 - 1e-7);
          const double th = std::clamp(s[g], 1e-6, 1 - 1e-6);
          const double logit = std::log(th / (1 - th)) + std::log(u / (1 - u));
          sj[g] = static_cast<float>(1.0 / (1.0 + std::exp(-logit / tau)));
        }
        const float* x = q.input(b).f32();
        const float* noise = q.obfuscator(b).sample(rng).f32();
        for (int64_t k = 0; k < per; ++k) {
          const float sk = sj[groups.group[k]];
          z.f32()[j * per + k] = x[k] * sk + noise[k] * (1 - sk);
          diff[j * per + k] = x[k] - noise[k];
        }
      }
      ExplainModel::Gradient g = m.gradient_seeded(z, [&](const Tensor& l, Tensor& seed,
                                                          int64_t first) {
        const int64_t classes = l.dim(1);
        for (int64_t r = 0; r < l.dim(0); ++r)
          q.seed(l.f32() + r * classes, (start + first + r) / samples, seed.f32() + r * classes);
      });
      const int64_t classes = g.logits.dim(1);
      for (int64_t j = 0; j < nb; ++j) {
        const int64_t b = (start + j) / samples;
        distortion += q.distortion(g.logits.f32() + j * classes, b);
        const float* sj = &sampled[j * n_groups];
        for (int64_t k = 0; k < per; ++k) {
          const int32_t grp = groups.group[k];
          double d = static_cast<double>(g.grad.f32()[j * per + k]) * diff[j * per + k];
          if (concrete) {
            const double th = std::clamp(s[grp], 1e-6, 1 - 1e-6);
            d *= sj[grp] * (1 - sj[grp]) / (tau * th * (1 - th));
          }
          grad[grp] += d;
        }
      }
    }
    distortion /= static_cast<double>(total);
    for (int64_t g = 0; g < n_groups; ++g) {
      const double gr = grad[g] / static_cast<double>(total) + lambda;
      m1[g] = 0.9 * m1[g] + 0.1 * gr;
      m2[g] = 0.999 * m2[g] + 0.001 * gr * gr;
      const double mhat = m1[g] / (1 - std::pow(0.9, step));
      const double vhat = m2[g] / (1 - std::pow(0.999, step));
      s[g] = std::clamp(s[g] - lr * mhat / (std::sqrt(vhat) + 1e-8), 0.0, 1.0);
    }
    progress.step();
  }
  Attribution out;
  out.relevance = paint_groups(groups, s, xs.shape()[0] == 1 ? xs.shape() : q.input(0).shape());
  out.layer_map = Tensor({1, n_groups});
  double l1 = 0;
  for (int64_t g = 0; g < n_groups; ++g) {
    out.layer_map.f32()[g] = static_cast<float>(s[g]);
    l1 += s[g];
  }
  out.signed_map = false;
  out.notes["distortion"] = std::to_string(distortion);
  if (p.text("rate") == "relative") out.notes["full-distortion"] = std::to_string(full);
  out.notes["mask-l1"] = std::to_string(l1);
  out.notes["groups"] = std::to_string(n_groups);
  out.notes["inputs"] = std::to_string(inputs);
  return out;
}

}  // namespace

void register_rde(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"lambda", ParamType::number, "0.05", 0, 1e6, {}, "λ, weight of the mask's L1 norm (rate)"},
      {"rate",
       ParamType::choice,
       "absolute",
       0,
       0,
       {"absolute", "relative"},
       "absolute: λ‖s‖₁; relative: λ·D₀·mean(s), D₀ the distortion with everything replaced "
       "(λ then says what fraction of it keeping every group may cost)"},
      {"mode",
       ParamType::choice,
       "continuous",
       0,
       0,
       {"continuous", "concrete"},
       "continuous: s ∈ [0, 1] by projected Adam; concrete: s ~ relaxed Bernoulli(θ), θ learnt"},
      {"steps", ParamType::integer, "300", 1, 100000, {}, "optimisation steps"},
      {"lr", ParamType::number, "0.05", 1e-6, 10, {}, "Adam learning rate"},
      {"samples", ParamType::integer, "8", 1, 4096, {}, "noise samples per step (Monte Carlo)"},
      {"temperature", ParamType::number, "0.1", 0.001, 10, {}, "temperature of mode=concrete"},
      {"init", ParamType::number, "0.5", 0, 1, {}, "initial mask value (or θ)"},
  };
  for (ParamSpec& s : distortion_params()) params.push_back(s);
  for (ParamSpec& s : grouping_params("grid", "1")) params.push_back(s);
  for (ParamSpec& s : obfuscation_params("gaussian-noise")) params.push_back(s);
  for (ParamSpec& s : batch_params()) params.push_back(s);
  MethodInfo info{"rde",
                  MethodFamily::perturbation,
                  "gradient",
                  "samples × (1 forward + 1 backward) per step",
                  "MacDonald et al. 2019, \"A Rate-Distortion Framework for Explaining Neural "
                  "Network Decisions\"",
                  "the sparsest mask that keeps the model's scores when the rest is noise",
                  params,
                  run_rde};
  info.shared_mask = true;
  r.push_back(info);
}

}  // namespace heatlens
