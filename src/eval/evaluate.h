// Evaluation runs: methods × metrics over inputs, aggregated like the papers' tables (mean ±
// std over inputs), with every curve kept.
//
//   EvalPlan plan = parse_plan({"gradient", "lime:samples=200"}, {"deletion", "sparseness"});
//   std::vector<EvalRecord> rows = evaluate_input(model, x, box, plan, target, progress);
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "eval/metric.h"

namespace heatlens {

// "name" or "name:k=v:k=v" (a method or metric with parameters); the whole text labels the row.
struct Spec {
  std::string label, name;
  std::map<std::string, std::string> params;
};
Spec parse_spec(const std::string& text);

struct EvalPlan {
  std::vector<Spec> methods, metrics;
};
// Checks names and parameters against the registries before anything runs.
EvalPlan parse_plan(const std::vector<std::string>& methods,
                    const std::vector<std::string>& metrics);

struct EvalRecord {
  int64_t input = 0;
  std::string method, metric;  // labels
  MetricResult result;
  double method_ms = 0;
};

// Explains x with each method and scores each map with each metric. box: H×W object mask.
std::vector<EvalRecord> evaluate_input(ExplainModel& model, const Tensor& x, int64_t input_index,
                                       const std::optional<std::vector<uint8_t>>& box,
                                       const EvalPlan& plan, const TargetSpec& target,
                                       Progress& progress);

// The method × metric table: mean ± std over inputs.
struct EvalTable {
  std::vector<std::string> methods, metrics;
  std::vector<std::vector<double>> mean, stdev;  // [method][metric]
  std::vector<std::vector<int64_t>> count;
};
EvalTable summarise(const EvalPlan& plan, const std::vector<EvalRecord>& records);
std::string table_markdown(const EvalTable& t);
std::string table_csv(const EvalTable& t);
nlohmann::json table_json(const EvalTable& t);
// Every record with its curve.
nlohmann::json records_json(const std::vector<EvalRecord>& records);
nlohmann::json metric_registry_json();

}  // namespace heatlens
