// Explanation methods and their registry.
//
// Every method registers once: kebab-case name, family, the model access it needs, its cost in
// passes, its citation and its parameter schema. `heatlens methods`, the CLI flags, the web
// form, the docs table and the bindings are generated from this registry.
//
//   const MethodInfo& m = find_method("integrated-gradients");
//   Attribution a = m.run(model, x, target, ParamValues::resolve(m.params, given), progress);
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "explain/explain_model.h"
#include "explain/params.h"

namespace heatlens {

struct Attribution {
  Tensor relevance;  // the input's shape
  Tensor layer_map;  // a method's own resolution (Grad-CAM's map at the layer), if any
  std::string method;
  std::map<std::string, std::string> params;
  Target target;
  std::vector<float> logits;  // of the explained input
  double score = 0;           // target score f(x) in the chosen output space
  double relevance_sum = 0;
  std::optional<double> delta;  // completeness / conservation delta where defined
  std::string delta_name;       // e.g. "completeness", "conservation"
  std::vector<std::pair<std::string, double>> layer_sums;  // LRP: relevance per layer input
  int64_t passes = 0;
  double wall_ms = 0;
  bool signed_map = true;  // false for maps that are ≥ 0 by construction (rendering)
  std::map<std::string, std::string> notes;  // choices a method made, e.g. Grad-CAM's layer
};

enum class MethodFamily { gradient, propagation, perturbation, amortized };
const char* family_name(MethodFamily f);

using MethodRun =
    std::function<Attribution(ExplainModel& model, const Tensor& x, const Target& target,
                              const ParamValues& params, Progress& progress)>;

struct MethodInfo {
  std::string name;
  MethodFamily family;
  std::string access;    // "forward", "gradient" or "layers"
  std::string cost;      // in passes, e.g. "1 forward + 1 backward per step"
  std::string citation;  // paper or book chapter
  std::string summary;   // one line for humans
  std::vector<ParamSpec> params;
  MethodRun run;
  // Accepts a batch [N, ...] explained by one shared mask (a class-level query).
  bool shared_mask = false;
};

const std::vector<MethodInfo>& method_registry();
const MethodInfo& find_method(const std::string& name);

// Runs a method with timing, passes and the shared facts filled in.
Attribution explain(ExplainModel& model, const Tensor& x, const std::string& method,
                    const TargetSpec& target, const std::map<std::string, std::string>& params,
                    Progress& progress);

// One mask shared by a batch of inputs [N, ...] (a class-level query; methods with
// shared_mask). The target class is the one given or the most frequent prediction.
Attribution explain_shared(ExplainModel& model, const Tensor& xs, const std::string& method,
                           const TargetSpec& target,
                           const std::map<std::string, std::string>& params, Progress& progress);

// Registration hooks, one per file in src/explain/ (called once by method_registry()).
void register_gradient_methods(std::vector<MethodInfo>& r);
void register_integrated_gradients(std::vector<MethodInfo>& r);
void register_noise_tunnel(std::vector<MethodInfo>& r);
void register_guided_backprop(std::vector<MethodInfo>& r);
void register_grad_cam(std::vector<MethodInfo>& r);
void register_deeplift(std::vector<MethodInfo>& r);
void register_lrp(std::vector<MethodInfo>& r);
void register_occlusion(std::vector<MethodInfo>& r);
void register_rise(std::vector<MethodInfo>& r);
void register_lime(std::vector<MethodInfo>& r);
void register_shapley(std::vector<MethodInfo>& r);
void register_meaningful_perturbation(std::vector<MethodInfo>& r);
void register_rde(std::vector<MethodInfo>& r);
void register_matching_pursuit(std::vector<MethodInfo>& r);

}  // namespace heatlens
