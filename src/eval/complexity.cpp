// Complexity of a map: how concentrated the relevance is (over spatial positions, channels
// summed, in absolute value).
#include <algorithm>
#include <cmath>

#include "eval/metric.h"

namespace heatlens {

namespace {

std::vector<double> magnitudes(const EvalInput& in) {
  std::vector<double> a = spatial_relevance(in.attribution.relevance);
  for (double& v : a) v = std::fabs(v);
  return a;
}

// Gini index of |R|: 0 for a uniform map, → 1 when one feature holds everything.
// Chalasani et al. 2020, "Concise Explanations of Neural Networks using Adversarial Training".
MetricResult sparseness(EvalInput& in, const ParamValues&) {
  std::vector<double> a = magnitudes(in);
  std::sort(a.begin(), a.end());
  const double n = static_cast<double>(a.size());
  double weighted = 0, total = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    weighted += (2.0 * (i + 1) - n - 1) * a[i];
    total += a[i];
  }
  MetricResult r;
  r.value = total > 0 ? weighted / (n * total) : 0.0;
  return r;
}

// Entropy of |R| / Σ|R| (nats). Bhatt, Weller & Moura 2020, "Evaluating and Aggregating
// Feature-based Model Explanations".
MetricResult complexity(EvalInput& in, const ParamValues&) {
  const std::vector<double> a = magnitudes(in);
  double total = 0;
  for (double v : a) total += v;
  MetricResult r;
  if (total <= 0) return r;
  for (double v : a)
    if (v > 0) r.value -= (v / total) * std::log(v / total);
  return r;
}

}  // namespace

void register_complexity(std::vector<MetricInfo>& r) {
  r.push_back({"sparseness",
               "complexity",
               "map",
               true,
               "Chalasani et al. 2020, \"Concise Explanations of Neural Networks using Adversarial "
               "Training\" (Gini index)",
               "Gini index of |R| over pixels: higher means fewer pixels carry the relevance",
               {},
               sparseness});
  r.push_back({"complexity",
               "complexity",
               "map",
               false,
               "Bhatt, Weller & Moura 2020, \"Evaluating and Aggregating Feature-based Model "
               "Explanations\"",
               "entropy of the normalised |R| over pixels: lower means a simpler map",
               {},
               complexity});
}

}  // namespace heatlens
