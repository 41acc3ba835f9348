// RISE: saliency = E_M[f(x ⊙ M) · M] / p over random masks M (bilinearly upsampled coarse
// binary grids, randomly shifted). Petsiuk, Das & Saenko 2018, "RISE: Randomized Input
// Sampling for Explanation of Black-box Models".
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"
#include "media/filters.h"

namespace heatlens {

namespace {

Attribution run_rise(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                     Progress& progress) {
  HEATLENS_CHECK(x.rank() >= 2, "rise needs an input [1, ...], got " << shape_str(x.shape()));
  const auto plane = plane_size(x);
  const int64_t h = plane.first, w = plane.second;
  const int64_t count = p.integer("masks"), cell = p.integer("cell");
  const double keep = p.number("keep");
  // A coarse grid of gh×gw cells, upsampled to (gh+1)·cell × (gw+1)·cell and cropped at a
  // random offset below one cell, so mask edges fall anywhere, not only on the grid.
  const int64_t gh = (h + cell - 1) / cell, gw = (w + cell - 1) / cell;
  const int64_t uh = (gh + 1) * cell, uw = (gw + 1) * cell;
  Rng mask_rng(static_cast<uint64_t>(p.integer("seed")));
  Rng noise_rng(static_cast<uint64_t>(p.integer("seed")) + 1);
  Obfuscator obf(p, x, m.card());
  const int64_t batch = p.integer("batch-size");
  progress.set_total(count);
  std::vector<double> saliency(h * w, 0.0), coverage(h * w, 0.0);
  double score_sum = 0;
  // Mask j's grid cells, then its offsets dy, dx: drawn on the host in the same order whether
  // the CPU or an accelerator upsamples them.
  const auto draw = [&](int64_t n, std::vector<float>& grids) {
    grids.assign(n * (gh * gw + 2), 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      float* g = &grids[j * (gh * gw + 2)];
      for (int64_t i = 0; i < gh * gw; ++i) g[i] = mask_rng.uniform() < keep ? 1.0f : 0.0f;
      g[gh * gw] = static_cast<float>(mask_rng.below(cell));
      g[gh * gw + 1] = static_cast<float>(mask_rng.below(cell));
    }
  };
  std::vector<float> grids;
  BatchScorer scorer(m, x, batch, progress);
  std::unique_ptr<DeviceBatches> device =
      obf.random() ? nullptr : device_batches(m, x, obf.sample(noise_rng));
  if (device) {
    // Masks, masked inputs and the sums stay on the accelerator; the logits come back.
    const DeviceBatches::RiseGeometry geo{h, w, gh, gw, uh, uw};
    for (int64_t start = 0; start < count; start += batch) {
      progress.check_cancel();
      const int64_t n = std::min(batch, count - start);
      draw(n, grids);
      const Tensor l = device->rise(grids, n, geo);
      m.count_passes(n);
      std::vector<float> f(n);
      for (int64_t j = 0; j < n; ++j) {
        f[j] = static_cast<float>(ExplainModel::score(l.f32() + j * l.dim(1), l.dim(1), t));
        score_sum += f[j];
      }
      device->accumulate(f);
      progress.step(n);
    }
    const std::vector<float> sums = device->sums();
    for (int64_t k = 0; k < h * w; ++k) {
      saliency[k] = sums[k];
      coverage[k] = sums[h * w + k];
    }
  }
  std::vector<float> masks;
  for (int64_t start = 0; !device && start < count; start += batch) {
    const int64_t n = std::min(batch, count - start);
    draw(n, grids);
    masks.assign(n * h * w, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      Tensor grid({1, 1, gh, gw});
      const float* g = &grids[j * (gh * gw + 2)];
      std::memcpy(grid.f32(), g, gh * gw * sizeof(float));
      const auto dy = static_cast<int64_t>(g[gh * gw]), dx = static_cast<int64_t>(g[gh * gw + 1]);
      const Tensor up = resize_bilinear(grid, uh, uw);
      for (int64_t y = 0; y < h; ++y)
        std::memcpy(&masks[(j * h + y) * w], up.f32() + (y + dy) * uw + dx, w * sizeof(float));
    }
    const std::vector<double> f = scorer.scores(n, t, [&](int64_t i, float* in) {
      const float* mask = &masks[i * h * w];
      const float* r = obf.sample(noise_rng).f32();
      for (int64_t k = 0; k < x.numel(); ++k) {
        const float mk = mask[k % (h * w)];
        in[k] = x.f32()[k] * mk + r[k] * (1.0f - mk);
      }
    });
    for (int64_t j = 0; j < n; ++j) {
      score_sum += f[j];
      for (int64_t k = 0; k < h * w; ++k) {
        saliency[k] += f[j] * masks[j * h * w + k];
        coverage[k] += masks[j * h * w + k];
      }
    }
  }
  Attribution out;
  out.relevance = Tensor(x.shape());
  const double norm = 1.0 / (static_cast<double>(count) * keep);
  // The paper's map E[f·M]/p carries the offset E[f]·E[M]/p ≈ E[f] everywhere; center=true
  // subtracts its empirical value, leaving E[f·(M − M̄)]/p, so the map shows contrast.
  const double mean_score = score_sum / static_cast<double>(count);
  const bool center = p.flag("center");
  for (int64_t k = 0; k < x.numel(); ++k) {
    const int64_t pos = k % (h * w);
    out.relevance.f32()[k] =
        static_cast<float>((saliency[pos] - (center ? mean_score * coverage[pos] : 0.0)) * norm);
  }
  out.notes["mean-score"] = std::to_string(mean_score);
  return out;
}

}  // namespace

void register_rise(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"masks", ParamType::integer, "1000", 1, 1000000, {}, "number of random masks"},
      {"cell", ParamType::integer, "4", 1, 4096, {}, "cell size of the coarse mask grid in pixels"},
      {"keep", ParamType::number, "0.5", 0.01, 1, {}, "probability that a cell is kept"},
      {"center",
       ParamType::boolean,
       "true",
       0,
       0,
       {},
       "subtract the constant offset E[f] (false: the paper's E[f·M]/p exactly)"},
  };
  for (ParamSpec& s : obfuscation_params("zero")) params.push_back(s);
  for (ParamSpec& s : batch_params()) params.push_back(s);
  r.push_back({"rise", MethodFamily::perturbation, "forward", "1 forward per mask",
               "Petsiuk, Das & Saenko 2018, \"RISE: Randomized Input Sampling for Explanation of "
               "Black-box Models\"",
               "average of random masks weighted by the score of the masked input", params,
               run_rise});
}

}  // namespace heatlens
