// Localization: does the relevance fall on the object, given its bounding box or mask?
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "eval/metric.h"

namespace heatlens {

namespace {

struct Located {
  std::vector<double> relevance;  // per spatial position
  std::vector<uint8_t> box;
  int64_t width = 1, inside = 0;
};

Located locate(const EvalInput& in, const std::string& metric) {
  HEATLENS_CHECK(in.box.has_value(),
                 metric << " needs the object's bounding box or mask (--boxes)");
  Located l;
  l.relevance = spatial_relevance(in.attribution.relevance);
  l.box = *in.box;
  l.width = plane_size(in.x).second;
  HEATLENS_CHECK(l.box.size() == l.relevance.size(), metric << ": the box mask has " << l.box.size()
                                                            << " pixels, the input "
                                                            << l.relevance.size());
  for (uint8_t b : l.box) l.inside += b != 0;
  HEATLENS_CHECK(l.inside > 0, metric << ": the bounding box is empty");
  return l;
}

// Area under the precision–recall curve of pixels ranked by relevance against the box
// (average precision: Σ_k precision_k · Δrecall_k).
MetricResult explainability_mi(EvalInput& in, const ParamValues&) {
  const Located l = locate(in, "explainability-mi");
  const std::vector<int64_t> order = rank_descending(l.relevance);
  MetricResult r;
  r.curve_x = "recall";
  r.curve_y = "precision";
  int64_t hits = 0;
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t every = std::max<int64_t>(1, n / 100);
  for (int64_t k = 0; k < n; ++k) {
    if (l.box[order[k]]) {
      ++hits;
      r.value += static_cast<double>(hits) / (k + 1) / l.inside;
    }
    if ((k + 1) % every == 0 || k + 1 == n) {
      r.curve_x_values.push_back(static_cast<double>(hits) / l.inside);
      r.curve_y_values.push_back(static_cast<double>(hits) / (k + 1));
    }
  }
  return r;
}

MetricResult pointing_game(EvalInput& in, const ParamValues& p) {
  const Located l = locate(in, "pointing-game");
  const int64_t best = rank_descending(l.relevance)[0];
  const int64_t by = best / l.width, bx = best % l.width, tol = p.integer("tolerance");
  const int64_t height = static_cast<int64_t>(l.box.size()) / l.width;
  MetricResult r;
  for (int64_t y = std::max<int64_t>(0, by - tol); y <= std::min(height - 1, by + tol); ++y)
    for (int64_t x = std::max<int64_t>(0, bx - tol); x <= std::min(l.width - 1, bx + tol); ++x)
      if ((y - by) * (y - by) + (x - bx) * (x - bx) <= tol * tol && l.box[y * l.width + x])
        r.value = 1;
  return r;
}

MetricResult relevance_mass(EvalInput& in, const ParamValues&) {
  const Located l = locate(in, "relevance-mass");
  double inside = 0, total = 0;
  for (size_t i = 0; i < l.relevance.size(); ++i) {
    const double v = std::max(0.0, l.relevance[i]);
    total += v;
    if (l.box[i]) inside += v;
  }
  MetricResult r;
  r.value = total > 0 ? inside / total : 0.0;
  return r;
}

MetricResult relevance_rank(EvalInput& in, const ParamValues&) {
  const Located l = locate(in, "relevance-rank");
  const std::vector<int64_t> order = rank_descending(l.relevance);
  int64_t hits = 0;
  for (int64_t k = 0; k < l.inside; ++k) hits += l.box[order[k]] != 0;
  MetricResult r;
  r.value = static_cast<double>(hits) / l.inside;
  return r;
}

}  // namespace

void register_localization(std::vector<MetricInfo>& r) {
  r.push_back({"explainability-mi",
               "localization",
               "box",
               true,
               "\"Distribution-Guided Local Explanation for Black-Box Classifiers\", eq. 9",
               "area under the precision–recall curve of pixels ranked by relevance against the "
               "bounding box",
               {},
               explainability_mi});
  r.push_back({"pointing-game",
               "localization",
               "box",
               true,
               "Zhang et al. 2018, \"Top-down Neural Attention by Excitation Backprop\"",
               "1 when the most relevant pixel lies in the box (within the tolerance), else 0",
               {{"tolerance", ParamType::integer, "0", 0, 1000, {}, "hit radius in pixels"}},
               pointing_game});
  r.push_back({"relevance-mass",
               "localization",
               "box",
               true,
               "Arras, Osman & Samek 2022, \"CLEVR-XAI\" (relevance mass accuracy)",
               "share of the positive relevance that falls inside the box",
               {},
               relevance_mass});
  r.push_back({"relevance-rank",
               "localization",
               "box",
               true,
               "Arras, Osman & Samek 2022, \"CLEVR-XAI\" (relevance rank accuracy)",
               "share of the K most relevant pixels inside the box, K = the box's size",
               {},
               relevance_rank});
}

}  // namespace heatlens
