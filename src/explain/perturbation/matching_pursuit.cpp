// Matching pursuit over components (segments, channels, frequency tiles): greedily keep the
// component that most reduces the distortion, until k are kept or the distortion falls below
// a threshold. "In-Distribution Interpretability for Challenging Modalities", §2.
#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/distortion.h"

namespace heatlens {

namespace {

Attribution run_matching_pursuit(ExplainModel& m, const Tensor& xs, const Target& t,
                                 const ParamValues& p, Progress& progress) {
  DistortionQuery q(m, xs, t, p);
  const FeatureGroups& groups = q.groups();
  const int64_t n_groups = groups.count, inputs = q.inputs(), samples = p.integer("samples");
  const int64_t per = q.input(0).numel();
  const int64_t k_max = std::min(p.integer("k"), n_groups);
  const double threshold = p.number("threshold");
  // The same noise draws for every candidate (common random numbers): candidates differ only
  // in what they keep.
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  std::vector<Tensor> noise;
  for (int64_t b = 0; b < inputs; ++b)
    for (int64_t s = 0; s < samples; ++s) noise.push_back(q.obfuscator(b).sample(rng).clone());
  const int64_t draws = inputs * samples;
  int64_t total = draws;
  for (int64_t j = 0; j < k_max; ++j) total += (n_groups - j) * draws;
  progress.set_total(total);
  BatchScorer scorer(m, q.input(0), p.integer("batch-size"), progress);
  std::vector<char> keep(n_groups, 0);
  // Mean distortion when `keep` plus each candidate (−1: none) is kept.
  auto evaluate = [&](const std::vector<int64_t>& candidates) {
    const int64_t count = static_cast<int64_t>(candidates.size()) * draws;
    const auto rows = scorer.logits(count, [&](int64_t i, float* in) {
      const int64_t cand = candidates[i / draws], d = i % draws, b = d / samples;
      const float* x = q.input(b).f32();
      const float* n = noise[d].f32();
      for (int64_t k = 0; k < per; ++k) {
        const int32_t g = groups.group[k];
        in[k] = keep[g] || g == cand ? x[k] : n[k];
      }
    });
    std::vector<double> out(candidates.size(), 0.0);
    for (int64_t i = 0; i < count; ++i)
      out[i / draws] += q.distortion(rows[i].data(), (i % draws) / samples) / draws;
    return out;
  };
  std::vector<double> curve = {evaluate({-1})[0]};
  std::vector<int64_t> order;
  std::vector<double> value(n_groups, 0.0);
  while (static_cast<int64_t>(order.size()) < k_max && curve.back() > threshold) {
    std::vector<int64_t> candidates;
    for (int64_t g = 0; g < n_groups; ++g)
      if (!keep[g]) candidates.push_back(g);
    const std::vector<double> d = evaluate(candidates);
    const size_t best = std::min_element(d.begin(), d.end()) - d.begin();
    keep[candidates[best]] = 1;
    order.push_back(candidates[best]);
    value[candidates[best]] = curve.back() - d[best];
    curve.push_back(d[best]);
  }
  // Stopped below the threshold: the remaining selections are not needed.
  if (progress.done() < progress.total()) progress.step(progress.total() - progress.done());
  Attribution out;
  out.relevance = paint_groups(groups, value, q.input(0).shape());
  out.layer_map = Tensor({1, static_cast<int64_t>(curve.size())});
  for (size_t i = 0; i < curve.size(); ++i) out.layer_map.f32()[i] = static_cast<float>(curve[i]);
  std::ostringstream o, c;
  for (size_t i = 0; i < order.size(); ++i) o << (i ? "," : "") << order[i];
  for (size_t i = 0; i < curve.size(); ++i) c << (i ? "," : "") << curve[i];
  out.notes["order"] = o.str();
  out.notes["distortion-curve"] = c.str();
  out.notes["groups"] = std::to_string(n_groups);
  out.notes["inputs"] = std::to_string(inputs);
  return out;
}

}  // namespace

void register_matching_pursuit(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"k", ParamType::integer, "10", 1, 100000, {}, "most components to select"},
      {"threshold",
       ParamType::number,
       "0",
       0,
       1e12,
       {},
       "stop once the distortion is at or below this"},
      {"samples", ParamType::integer, "4", 1, 4096, {}, "noise draws averaged per evaluation"},
  };
  for (ParamSpec& s : distortion_params()) params.push_back(s);
  for (ParamSpec& s : grouping_params("grid", "4")) params.push_back(s);
  for (ParamSpec& s : obfuscation_params("gaussian-noise")) params.push_back(s);
  for (ParamSpec& s : batch_params()) params.push_back(s);
  MethodInfo info{"matching-pursuit",
                  MethodFamily::perturbation,
                  "forward",
                  "samples forwards per remaining component per selection",
                  "\"In-Distribution Interpretability for Challenging Modalities\", §2 (matching "
                  "pursuit on the rate-distortion objective)",
                  "components kept greedily in the order that most reduces the distortion; the "
                  "map shows each one's reduction",
                  params,
                  run_matching_pursuit};
  info.shared_mask = true;
  r.push_back(info);
}

}  // namespace heatlens
