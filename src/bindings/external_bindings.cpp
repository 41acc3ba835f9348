// Forward-only methods on a model heatlens cannot run (unsupported operators): its scores come
// from onnxruntime-web in the page's worker. ONNX Runtime only answers asynchronously, so the
// method runs in rounds: each round replays the scores known so far (checking that the method
// asks for the same inputs again), then records every further batch with zero scores and
// stops; the worker scores the recorded batches and starts the next round. A method whose
// inputs do not depend on the scores (occlusion, rise, lime, kernel-shap, shapley-sampling)
// needs two rounds; an adaptive one (matching-pursuit, refinement) gains at least one correct
// batch per round.
//
//   let known = [];
//   for (;;) {
//     const r = hl.explainExternal(x, shape, 'rise', '{}', 3, 'logit', classes, known, cb);
//     if (r.done) break;                            // r.relevance, r.json
//     known = known.slice(0, r.first);
//     for (let k = 0; k < r.pending; k++) known.push(await ort(hl.pendingBatch(k)));
//   }
#include <cstring>

#include "bindings/js_interop.h"
#include "explain/method.h"
#include "explain/method_json.h"

using emscripten::val;

namespace heatlens {
namespace {

using bindings::error_object;
using bindings::float_array;
using bindings::js_progress;
using bindings::params_of;
using bindings::session;
using bindings::tensor_of;

constexpr size_t kMaxRecordedBytes = size_t{512} << 20;

Tensor copy_of(const Tensor& x) {
  Tensor c(x.shape());
  std::memcpy(c.f32(), x.f32(), static_cast<size_t>(x.numel()) * sizeof(float));
  return c;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

val explain_external(val data, val shape, std::string method, std::string params_json, int target,
                     std::string output, int classes, val known_js, val progress_js) {
  try {
    HEATLENS_CHECK(session.input.has_value(), "no model with one input is loaded");
    HEATLENS_CHECK(classes >= 1, "the number of classes must be positive");
    const MethodInfo& m = find_method(method);
    HEATLENS_CHECK(m.access == "forward",
                   m.name << " needs " << m.access
                          << " (it differentiates or reads the model's layers), which heatlens "
                             "cannot do for a model with unsupported operators; the forward-only "
                             "methods run through ONNX Runtime");
    std::vector<Tensor> known;
    const size_t known_count = known_js["length"].as<size_t>();
    for (size_t k = 0; k < known_count && k < session.external_inputs.size(); ++k) {
      const Tensor& in = session.external_inputs[k];
      Shape s = {in.dim(0), classes};
      val shape_js = val::array();
      for (int64_t d : s) shape_js.call<void>("push", static_cast<double>(d));
      known.push_back(tensor_of(known_js[k], shape_js));
    }
    // Replay the known scores while the method asks for the same inputs; then record.
    std::vector<Tensor> inputs;
    size_t first_unknown = std::string::npos, recorded_bytes = 0;
    ExplainModel model(
        [&](const Tensor& x) {
          const size_t i = inputs.size();
          if (first_unknown == std::string::npos && i < known.size() &&
              same(x, session.external_inputs[i])) {
            inputs.push_back(session.external_inputs[i]);
            return known[i];
          }
          if (first_unknown == std::string::npos) first_unknown = i;
          recorded_bytes += static_cast<size_t>(x.numel()) * sizeof(float);
          HEATLENS_CHECK(recorded_bytes <= kMaxRecordedBytes,
                         m.name << " needs more than " << (kMaxRecordedBytes >> 20)
                                << " MB of inputs for ONNX Runtime in one round; lower its "
                                   "samples or masks");
          inputs.push_back(copy_of(x));
          return Tensor({x.dim(0), static_cast<int64_t>(classes)});
        },
        session.card);
    TargetSpec spec;
    spec.class_index = target;
    spec.space = parse_output_space(output);
    Progress progress = js_progress(progress_js);
    const Attribution a =
        explain(model, tensor_of(data, shape), method, spec, params_of(params_json), progress);
    session.external_inputs = std::move(inputs);
    val out = val::object();
    if (first_unknown != std::string::npos) {
      out.set("done", false);
      out.set("first", static_cast<double>(first_unknown));
      out.set("pending", static_cast<double>(session.external_inputs.size() - first_unknown));
      return out;
    }
    session.external_inputs.clear();
    out.set("done", true);
    out.set("relevance", float_array(a.relevance.f32(), static_cast<size_t>(a.relevance.numel())));
    nlohmann::json meta = attribution_json(a, session.card);
    meta["notes"]["runner"] = "onnxruntime-web (the model has operators heatlens lacks)";
    out.set("json", meta.dump());
    return out;
  } catch (const std::exception& e) {
    session.external_inputs.clear();
    return error_object(e.what());
  }
}

// Recorded batch `k` of the last round (counted from its first unknown batch), for ONNX Runtime.
val pending_batch(val first_js, val k_js) {
  try {
    const size_t index = static_cast<size_t>(first_js.as<double>() + k_js.as<double>());
    HEATLENS_CHECK(index < session.external_inputs.size(), "no recorded batch " << index);
    const Tensor& x = session.external_inputs[index];
    val out = val::object();
    out.set("data", float_array(x.f32(), static_cast<size_t>(x.numel())));
    val shape = val::array();
    for (int64_t d : x.shape()) shape.call<void>("push", static_cast<double>(d));
    out.set("shape", shape);
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

}  // namespace
}  // namespace heatlens

EMSCRIPTEN_BINDINGS(heatlens_external) {
  using namespace heatlens;
  emscripten::function("explainExternal", &explain_external);
  emscripten::function("pendingBatch", &pending_batch);
}
