#include "explain/refine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "explain/perturbation/perturbation.h"
#include "media/filters.h"

namespace heatlens {

std::vector<ParamSpec> refine_params() {
  return {
      {"refine",
       ParamType::choice,
       "none",
       0,
       0,
       {"none", "distribution", "distribution-relu"},
       "refinement of the map (Distribution-Guided Local Explanation): the sigmoid distribution "
       "controller or its ReLU variant, then insertion-curve fine-tuning"},
      {"refine-eta", ParamType::number, "1.5", 0.01, 100, {}, "η of the distribution controller"},
      {"refine-h", ParamType::number, "2.5", 0.01, 100, {}, "h of the distribution controller"},
      {"refine-finetune",
       ParamType::boolean,
       "true",
       0,
       0,
       {},
       "fine-tune the transformed map with the insertion curve"},
      {"refine-samples",
       ParamType::integer,
       "16",
       1,
       10000,
       {},
       "insertion-curve points (forward passes) of the fine-tuning"},
      {"refine-baseline",
       ParamType::choice,
       "blur",
       0,
       0,
       {"blur", "zero"},
       "what the insertion curve starts from"},
      {"refine-blur-sigma", ParamType::number, "5", 0.1, 1000, {}, "σ of refine-baseline=blur"},
  };
}

std::vector<double> distribution_transform(const std::vector<double>& r, double eta, double h,
                                           bool relu) {
  const double n = static_cast<double>(r.size());
  const double mean = std::accumulate(r.begin(), r.end(), 0.0) / n;
  double var = 0;
  for (double v : r) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / n);
  std::vector<double> m(r.size());
  double top = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const double z = sd > 0 ? (r[i] - mean) / sd : 0.0;
    m[i] = relu ? std::max(z, 0.0) : std::pow(1.0 / (1.0 + std::exp(-eta * z)), h);
    top = std::max(top, m[i]);
  }
  if (relu && top > 0)
    for (double& v : m) v /= top;
  return m;
}

std::vector<double> insertion_finetune(const std::vector<double>& m_by_rank,
                                       const std::vector<int64_t>& positions,
                                       const std::vector<double>& q_in) {
  HEATLENS_CHECK(positions.size() == q_in.size() && positions.size() >= 2,
                 "fine-tuning needs at least two insertion-curve points");
  std::vector<double> q(q_in);
  for (size_t k = 1; k < q.size(); ++k) q[k] = std::max(q[k], q[k - 1]);
  const double q_max = q.back();
  std::vector<double> out(m_by_rank.size());
  size_t k = 0;
  for (size_t i = 0; i < m_by_rank.size(); ++i) {
    // The feature of rank i (0-based) is the last one kept among the top i + 1.
    const int64_t kept = static_cast<int64_t>(i) + 1;
    while (k + 2 < positions.size() && positions[k + 1] <= kept) ++k;
    const double span = static_cast<double>(positions[k + 1] - positions[k]);
    const double a = span > 0 ? std::clamp((kept - positions[k]) / span, 0.0, 1.0) : 0.0;
    const double v = q_max - ((1 - a) * q[k] + a * q[k + 1]);
    out[i] = m_by_rank[i] * v;
  }
  return out;
}

void refine_attribution(ExplainModel& model, const Tensor& x, const Target& t, const ParamValues& p,
                        Attribution& a, Progress& progress) {
  const std::string kind = p.text("refine");
  if (kind == "none") return;
  // Features are positions of the plane (channels summed): pixels, time–frequency bins, samples.
  const auto plane = plane_size(x);
  const int64_t ph = plane.first, pw = plane.second;
  const int64_t hw = ph * pw;
  std::vector<double> r(hw, 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) r[i % hw] += a.relevance.f32()[i];
  std::vector<double> m = distribution_transform(r, p.number("refine-eta"), p.number("refine-h"),
                                                 kind == "distribution-relu");
  if (p.flag("refine-finetune")) {
    std::vector<int64_t> by_rank(hw);
    std::iota(by_rank.begin(), by_rank.end(), 0);
    std::stable_sort(by_rank.begin(), by_rank.end(),
                     [&](int64_t i, int64_t j) { return m[i] > m[j]; });
    std::vector<int64_t> rank_of(hw);
    for (int64_t k = 0; k < hw; ++k) rank_of[by_rank[k]] = k;
    // Insertion points spaced uniformly over 0…hw features kept.
    const int64_t samples = std::min<int64_t>(p.integer("refine-samples"), hw);
    std::vector<int64_t> positions;
    for (int64_t k = 0; k <= samples; ++k) positions.push_back(k * hw / samples);
    const Tensor start = p.text("refine-baseline") == "blur" && x.rank() >= 4
                             ? gaussian_blur(x, p.number("refine-blur-sigma"))
                             : Tensor(x.shape());
    Target prob = t;
    prob.space = OutputSpace::prob;
    const int64_t count = static_cast<int64_t>(positions.size());
    progress.add_total(count);
    Shape s = x.shape();
    s[0] = count;
    Tensor batch(s);
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < x.numel(); ++i)
        batch.f32()[k * x.numel() + i] =
            rank_of[i % hw] < positions[k] ? x.f32()[i] : start.f32()[i];
    const Tensor logits = model.logits(batch);
    progress.step(count);
    std::vector<double> q(count);
    for (int64_t k = 0; k < count; ++k)
      q[k] = ExplainModel::score(logits.f32() + k * logits.dim(1), logits.dim(1), prob);
    std::vector<double> m_by_rank(hw);
    for (int64_t k = 0; k < hw; ++k) m_by_rank[k] = m[by_rank[k]];
    const std::vector<double> tuned = insertion_finetune(m_by_rank, positions, q);
    for (int64_t k = 0; k < hw; ++k) m[by_rank[k]] = tuned[k];
  }
  for (int64_t i = 0; i < x.numel(); ++i) a.relevance.f32()[i] = static_cast<float>(m[i % hw]);
  a.signed_map = false;
  a.delta.reset();
  a.notes["refined"] = kind + (p.flag("refine-finetune") ? " + insertion fine-tuning" : "");
}

}  // namespace heatlens
