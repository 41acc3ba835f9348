#include "explain/method.h"

#include <chrono>

#include "core/error.h"

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

Attribution explain(ExplainModel& model, const Tensor& x, const std::string& method,
                    const TargetSpec& spec, const std::map<std::string, std::string>& given,
                    Progress& progress) {
  HEATLENS_CHECK(x.rank() >= 1 && x.dim(0) == 1,
                 "explain takes one example (batch 1), got shape " << shape_str(x.shape()));
  const MethodInfo& m = find_method(method);
  ParamValues params = ParamValues::resolve(m.params, given);
  const auto start = std::chrono::steady_clock::now();
  Tensor logits = model.logits(x);
  Target target = ExplainModel::resolve_target(logits, spec);
  const int64_t passes_before = model.passes();
  Attribution a = m.run(model, x, target, params, progress);
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
  a.passes = model.passes() - passes_before;
  a.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return a;
}

}  // namespace heatlens
