#include "eval/evaluate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.h"

namespace heatlens {

Spec parse_spec(const std::string& text) {
  Spec s;
  s.label = text;
  std::stringstream in(text);
  std::string part;
  std::getline(in, s.name, ':');
  while (std::getline(in, part, ':')) s.params.insert(parse_param(part));
  HEATLENS_CHECK(!s.name.empty(), "empty name in '" << text << "'");
  return s;
}

EvalPlan parse_plan(const std::vector<std::string>& methods,
                    const std::vector<std::string>& metrics) {
  EvalPlan plan;
  HEATLENS_CHECK(!methods.empty() && !metrics.empty(), "give at least one method and one metric");
  for (const std::string& m : methods) {
    Spec s = parse_spec(m);
    ParamValues::resolve(find_method(s.name).params, s.params);
    plan.methods.push_back(s);
  }
  for (const std::string& m : metrics) {
    Spec s = parse_spec(m);
    ParamValues::resolve(find_metric(s.name).params, s.params);
    plan.metrics.push_back(s);
  }
  return plan;
}

std::vector<EvalRecord> evaluate_input(ExplainModel& model, const Tensor& x, int64_t input_index,
                                       const std::optional<std::vector<uint8_t>>& box,
                                       const EvalPlan& plan, const TargetSpec& target,
                                       Progress& progress) {
  std::vector<EvalRecord> out;
  for (const Spec& method : plan.methods) {
    Progress inner({}, progress.cancel_flag());
    const Attribution a = explain(model, x, method.name, target, method.params, inner);
    progress.step();
    for (const Spec& metric : plan.metrics) {
      const MetricInfo& info = find_metric(metric.name);
      Progress metric_progress({}, progress.cancel_flag());
      EvalInput in{model,          x, a, method.params, info.needs == "box" ? box : std::nullopt,
                   metric_progress};
      EvalRecord r;
      r.input = input_index;
      r.method = method.label;
      r.metric = metric.label;
      r.method_ms = a.wall_ms;
      if (info.needs == "box" && !box) {
        r.result.value = std::nan("");  // no box for this input: left out of the mean
      } else {
        r.result = info.run(in, ParamValues::resolve(info.params, metric.params));
      }
      out.push_back(r);
      progress.step();
    }
  }
  return out;
}

EvalTable summarise(const EvalPlan& plan, const std::vector<EvalRecord>& records) {
  EvalTable t;
  for (const Spec& s : plan.methods) t.methods.push_back(s.label);
  for (const Spec& s : plan.metrics) t.metrics.push_back(s.label);
  const size_t nm = t.methods.size(), nk = t.metrics.size();
  t.mean.assign(nm, std::vector<double>(nk, 0));
  t.stdev.assign(nm, std::vector<double>(nk, 0));
  t.count.assign(nm, std::vector<int64_t>(nk, 0));
  std::vector<std::vector<double>> sq(nm, std::vector<double>(nk, 0));
  for (const EvalRecord& r : records) {
    if (std::isnan(r.result.value)) continue;
    const size_t i = std::find(t.methods.begin(), t.methods.end(), r.method) - t.methods.begin();
    const size_t k = std::find(t.metrics.begin(), t.metrics.end(), r.metric) - t.metrics.begin();
    t.mean[i][k] += r.result.value;
    sq[i][k] += r.result.value * r.result.value;
    ++t.count[i][k];
  }
  for (size_t i = 0; i < nm; ++i) {
    for (size_t k = 0; k < nk; ++k) {
      const double n = static_cast<double>(t.count[i][k]);
      if (n == 0) {
        t.mean[i][k] = std::nan("");
        continue;
      }
      t.mean[i][k] /= n;
      // Sample standard deviation over inputs (0 for one input).
      t.stdev[i][k] =
          n > 1 ? std::sqrt(std::max(0.0, (sq[i][k] - n * t.mean[i][k] * t.mean[i][k]) / (n - 1)))
                : 0.0;
    }
  }
  return t;
}

namespace {

std::string cell(double mean, double sd, int64_t n) {
  if (n == 0) return "–";
  char buf[64];
  if (n > 1)
    std::snprintf(buf, sizeof buf, "%.4g ± %.2g", mean, sd);
  else
    std::snprintf(buf, sizeof buf, "%.4g", mean);
  return buf;
}

std::string arrow(const std::string& metric_label) {
  return find_metric(parse_spec(metric_label).name).higher_is_better ? " ↑" : " ↓";
}

}  // namespace

std::string table_markdown(const EvalTable& t) {
  std::string s = "| method |";
  for (const std::string& m : t.metrics) s += " " + m + arrow(m) + " |";
  s += "\n|---|";
  for (size_t k = 0; k < t.metrics.size(); ++k) s += "---|";
  s += "\n";
  for (size_t i = 0; i < t.methods.size(); ++i) {
    s += "| " + t.methods[i] + " |";
    for (size_t k = 0; k < t.metrics.size(); ++k)
      s += " " + cell(t.mean[i][k], t.stdev[i][k], t.count[i][k]) + " |";
    s += "\n";
  }
  return s;
}

std::string table_csv(const EvalTable& t) {
  std::string s = "method,metric,mean,std,inputs\n";
  for (size_t i = 0; i < t.methods.size(); ++i) {
    for (size_t k = 0; k < t.metrics.size(); ++k) {
      char buf[128];
      std::snprintf(buf, sizeof buf, ",%.9g,%.9g,%lld\n", t.mean[i][k], t.stdev[i][k],
                    static_cast<long long>(t.count[i][k]));
      s += "\"" + t.methods[i] + "\",\"" + t.metrics[k] + "\"" + buf;
    }
  }
  return s;
}

nlohmann::json table_json(const EvalTable& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < t.methods.size(); ++i)
    for (size_t k = 0; k < t.metrics.size(); ++k)
      rows.push_back(
          {{"method", t.methods[i]},
           {"metric", t.metrics[k]},
           {"mean", t.count[i][k] ? nlohmann::json(t.mean[i][k]) : nlohmann::json()},
           {"std", t.stdev[i][k]},
           {"inputs", t.count[i][k]},
           {"higher_is_better", find_metric(parse_spec(t.metrics[k]).name).higher_is_better}});
  return rows;
}

nlohmann::json records_json(const std::vector<EvalRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const EvalRecord& r : records) {
    nlohmann::json j = {
        {"input", r.input},
        {"method", r.method},
        {"metric", r.metric},
        {"value", std::isnan(r.result.value) ? nlohmann::json() : nlohmann::json(r.result.value)},
        {"method_ms", r.method_ms}};
    if (!r.result.curve_x.empty()) {
      j["curve"] = {{"x", r.result.curve_x},
                    {"y", r.result.curve_y},
                    {"x_values", r.result.curve_x_values},
                    {"y_values", r.result.curve_y_values}};
    }
    if (!r.result.extras.empty()) j["extras"] = r.result.extras;
    out.push_back(j);
  }
  return out;
}

nlohmann::json metric_registry_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const MetricInfo& m : metric_registry()) {
    nlohmann::json params = nlohmann::json::array();
    for (const ParamSpec& p : m.params) {
      nlohmann::json q = {{"name", p.name},
                          {"type", param_type_name(p.type)},
                          {"default", p.default_value},
                          {"help", p.help}};
      if (!p.choices.empty()) q["choices"] = p.choices;
      if (p.min != p.max) q["range"] = {p.min, p.max};
      params.push_back(q);
    }
    out.push_back({{"name", m.name},
                   {"family", m.family},
                   {"needs", m.needs},
                   {"higher_is_better", m.higher_is_better},
                   {"citation", m.citation},
                   {"summary", m.summary},
                   {"params", params}});
  }
  return out;
}

}  // namespace heatlens
