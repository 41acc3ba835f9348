#include "eval/metric.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "explain/perturbation/perturbation.h"

namespace heatlens {

const std::vector<MetricInfo>& metric_registry() {
  static const std::vector<MetricInfo> registry = [] {
    std::vector<MetricInfo> r;
    register_perturbation_curves(r);
    register_localization(r);
    register_interpretation_metrics(r);
    register_robustness(r);
    register_complexity(r);
    register_sanity_checks(r);
    return r;
  }();
  return registry;
}

const MetricInfo& find_metric(const std::string& name) {
  for (const MetricInfo& m : metric_registry())
    if (m.name == name) return m;
  std::string names;
  for (const MetricInfo& m : metric_registry()) names += (names.empty() ? "" : ", ") + m.name;
  fail("unknown metric '" + name + "' (available: " + names + ")");
}

std::vector<double> spatial_relevance(const Tensor& r) {
  const auto plane = plane_size(r);
  const int64_t h = plane.first, w = plane.second;
  std::vector<double> out(h * w, 0.0);
  for (int64_t i = 0; i < r.numel(); ++i) out[i % (h * w)] += r.f32()[i];
  return out;
}

std::vector<std::pair<float, float>> element_ranges(const ModelCard& card, const Tensor& x) {
  auto ranges = channel_ranges(card, x);
  std::vector<std::pair<float, float>> out(x.numel());
  if (x.rank() < 3) {
    std::pair<float, float> all = ranges[0];
    for (const auto& c : ranges)
      all = {std::min(all.first, c.first), std::max(all.second, c.second)};
    std::fill(out.begin(), out.end(), all);
    return out;
  }
  const int64_t per = x.numel() / static_cast<int64_t>(ranges.size());
  for (int64_t i = 0; i < x.numel(); ++i) out[i] = ranges[i / per];
  return out;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) * (a[i] - ma);
    vb += (b[i] - mb) * (b[i] - mb);
  }
  return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0.0;
}

double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  for (size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}

std::vector<int64_t> rank_descending(const std::vector<double>& v) {
  std::vector<int64_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] > v[b]; });
  return order;
}

}  // namespace heatlens
