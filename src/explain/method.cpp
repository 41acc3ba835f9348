#include "explain/method.h"

#include <chrono>

#include "core/error.h"
#include "explain/perturbation/perturbation.h"
#include "explain/refine.h"

namespace heatlens {

const char* family_name(MethodFamily f) {
  switch (f) {
    case MethodFamily::gradient:
      return "gradient";
    case MethodFamily::propagation:
      return "propagation";
    case MethodFamily::perturbation:
      return "perturbation";
    case MethodFamily::amortized:
      return "amortized";
  }
  return "gradient";
}

const std::vector<MethodInfo>& method_registry() {
  static const std::vector<MethodInfo> registry = [] {
    std::vector<MethodInfo> r;
    register_gradient_methods(r);
    register_noise_tunnel(r);
    register_integrated_gradients(r);
    register_guided_backprop(r);
    register_grad_cam(r);
    register_deeplift(r);
    register_lrp(r);
    register_occlusion(r);
    register_rise(r);
    register_lime(r);
    register_shapley(r);
    register_meaningful_perturbation(r);
    register_rde(r);
    register_matching_pursuit(r);
    // Any method's map can be refined (distribution-guided transform and fine-tuning).
    for (MethodInfo& m : r)
      for (const ParamSpec& s : refine_params()) m.params.push_back(s);
    return r;
  }();
  return registry;
}

const MethodInfo& find_method(const std::string& name) {
  for (const MethodInfo& m : method_registry()) {
    if (m.name == name) return m;
  }
  std::string names;
  for (const MethodInfo& m : method_registry()) names += (names.empty() ? "" : ", ") + m.name;
  fail("unknown method '" + name + "' (available: " + names + ")");
}

namespace {

// The facts every method's result carries, filled in once here.
void finish(Attribution& a, const MethodInfo& m, const ParamValues& params, const Target& target,
            const Tensor& logits, const Tensor& x) {
  a.method = m.name;
  a.params = params.all();
  a.target = target;
  a.logits = logits.to_f32_vector();
  a.score = ExplainModel::score(logits.f32(), logits.dim(1), target);
  HEATLENS_CHECK(a.relevance.shape() == x.shape(),
                 m.name << " produced relevance of shape " << shape_str(a.relevance.shape()));
  double sum = 0;
  for (int64_t i = 0; i < a.relevance.numel(); ++i) sum += a.relevance.f32()[i];
  a.relevance_sum = sum;
}

}  // namespace

Attribution explain(ExplainModel& model, const Tensor& x, const std::string& method,
                    const TargetSpec& spec, const std::map<std::string, std::string>& given,
                    Progress& progress) {
  HEATLENS_CHECK(x.rank() >= 1 && x.dim(0) == 1,
                 "explain takes one example (batch 1), got shape " << shape_str(x.shape()));
  const MethodInfo& m = find_method(method);
  std::map<std::string, std::string> chosen = given;
  if (model.card().has_audio_frontend) audio_grouping_defaults(m.params, x, chosen);
  ParamValues params = ParamValues::resolve(m.params, chosen);
  const auto start = std::chrono::steady_clock::now();
  Tensor logits = model.logits(x);
  Target target = ExplainModel::resolve_target(logits, spec);
  const int64_t passes_before = model.passes();
  Attribution a = m.run(model, x, target, params, progress);
  refine_attribution(model, x, target, params, a, progress);
  finish(a, m, params, target, logits, x);
  a.passes = model.passes() - passes_before;
  a.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return a;
}

Attribution explain_shared(ExplainModel& model, const Tensor& xs, const std::string& method,
                           const TargetSpec& spec, const std::map<std::string, std::string>& given,
                           Progress& progress) {
  const MethodInfo& m = find_method(method);
  HEATLENS_CHECK(m.shared_mask, m.name
                                    << " explains one input at a time; a shared mask over "
                                       "several inputs is available for rde and matching-pursuit");
  HEATLENS_CHECK(xs.rank() >= 2 && xs.dim(0) >= 1,
                 "expected inputs [N, ...], got " << shape_str(xs.shape()));
  ParamValues params = ParamValues::resolve(m.params, given);
  HEATLENS_CHECK(params.text("refine") == "none",
                 "refine applies to one input's map, not to a shared mask");
  const auto start = std::chrono::steady_clock::now();
  const Tensor logits = model.logits(xs);
  // The class of a class-level query: the one asked for, or the most frequent prediction.
  TargetSpec class_spec = spec;
  if (class_spec.class_index < 0) {
    std::map<int64_t, int64_t> votes;
    for (int64_t b = 0; b < xs.dim(0); ++b)
      ++votes[ExplainModel::resolve_target(batch_item(logits, b), spec).class_index];
    int64_t best = votes.begin()->first;
    for (auto it = votes.begin(); it != votes.end(); ++it)
      if (it->second > votes[best]) best = it->first;
    class_spec.class_index = best;
  }
  const Tensor first_logits = batch_item(logits, 0);
  const Target target = ExplainModel::resolve_target(first_logits, class_spec);
  const int64_t passes_before = model.passes();
  Attribution a = m.run(model, xs, target, params, progress);
  finish(a, m, params, target, first_logits, batch_item(xs, 0));
  a.passes = model.passes() - passes_before;
  a.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return a;
}

}  // namespace heatlens
