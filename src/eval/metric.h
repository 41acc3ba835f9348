// Evaluation metrics: how faithful, localised, robust and sane an explanation is. Each metric
// registers once (name, citation, what it needs, whether higher is better, parameter schema);
// `heatlens eval`, the page's Evaluate tab and the docs come from this registry.
//
//   const MetricInfo& m = find_metric("deletion");
//   MetricResult r = m.run(input, ParamValues::resolve(m.params, {{"steps", "16"}}));
//   r.value; r.curve_x; r.curve_y;
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "explain/method.h"
#include "explain/params.h"
#include "explain/perturbation/perturbation.h"  // plane_size

namespace heatlens {

// One explained input: the model, the input, the explanation and how to re-make it.
struct EvalInput {
  ExplainModel& model;
  const Tensor& x;  // [1, ...]
  const Attribution& attribution;
  std::map<std::string, std::string> method_params;  // to re-run the method (robustness, sanity)
  std::optional<std::vector<uint8_t>> box;           // H×W mask of the object, if given
  Progress& progress;
};

struct MetricResult {
  double value = 0;
  std::string curve_x, curve_y;  // axis names when the metric has a curve
  std::vector<double> curve_x_values, curve_y_values;
  std::map<std::string, double> extras;
};

struct MetricInfo {
  std::string name;
  std::string family;  // faithfulness, localization, robustness, complexity, sanity
  std::string needs;   // "map", "box" (a bounding box or mask) or "method" (re-runs it)
  bool higher_is_better;
  std::string citation;
  std::string summary;
  std::vector<ParamSpec> params;
  std::function<MetricResult(EvalInput&, const ParamValues&)> run;
};

const std::vector<MetricInfo>& metric_registry();
const MetricInfo& find_metric(const std::string& name);

// Helpers shared by the metric files.
// The relevance summed over channels: one value per spatial position ([1, C, H, W] → H·W) or
// per element for other ranks.
std::vector<double> spatial_relevance(const Tensor& relevance);
// The value range of each element (its channel's, for an image; one range over all features
// of a vector input), from the model card or the input itself.
std::vector<std::pair<float, float>> element_ranges(const ModelCard& card, const Tensor& x);
// Trapezoidal area under y(x).
double trapezoid(const std::vector<double>& x, const std::vector<double>& y);
// Indices sorted by value, largest first (ties keep index order).
std::vector<int64_t> rank_descending(const std::vector<double>& v);

// Pearson correlation (0 when either side is constant).
double pearson(const std::vector<double>& a, const std::vector<double>& b);
// Spearman rank correlation (ties share their mean rank).
double spearman(const std::vector<double>& a, const std::vector<double>& b);
// SSIM of two h×w maps after scaling each to [0, 1] by its largest |value| (7×7 windows).
double ssim(const std::vector<double>& a, const std::vector<double>& b, int64_t h, int64_t w);
// The model behind a Sub node that takes `shift` off its input: g(x + shift) = f(x).
Graph with_input_shift(const Graph& original, float shift);

// Registration hooks, one per file in src/eval/.
void register_perturbation_curves(std::vector<MetricInfo>& r);
void register_localization(std::vector<MetricInfo>& r);
void register_interpretation_metrics(std::vector<MetricInfo>& r);
void register_robustness(std::vector<MetricInfo>& r);
void register_complexity(std::vector<MetricInfo>& r);
void register_sanity_checks(std::vector<MetricInfo>& r);

}  // namespace heatlens
