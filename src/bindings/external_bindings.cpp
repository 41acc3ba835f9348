// The page's side of explain/external_rounds.h: forward-only methods on a model heatlens cannot
// run, its scores from onnxruntime-web in the worker, round by round.
//
//   let known = [];
//   for (;;) {
//     const r = hl.explainExternal(x, shape, 'rise', '{}', 3, 'logit', classes, known, cb);
//     if (r.done) break;                            // r.relevance, r.json
//     known = known.slice(0, r.first);
//     for (let k = 0; k < r.pending; k++) known.push(await ort(hl.pendingBatch(r.first, k)));
//   }
#include <cstring>

#include "bindings/js_interop.h"
#include "explain/external_rounds.h"
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

val explain_external(val data, val shape, std::string method, std::string params_json, int target,
                     std::string output, int classes, val known_js, val progress_js) {
  try {
    HEATLENS_CHECK(session.input.has_value(), "no model with one input is loaded");
    std::vector<Tensor> known;
    const size_t known_count = known_js["length"].as<size_t>();
    for (size_t k = 0; k < known_count && k < session.external_inputs.size(); ++k) {
      val shape_js = val::array();
      shape_js.call<void>("push", static_cast<double>(session.external_inputs[k].dim(0)));
      shape_js.call<void>("push", classes);
      known.push_back(tensor_of(known_js[k], shape_js));
    }
    TargetSpec spec;
    spec.class_index = target;
    spec.space = parse_output_space(output);
    Progress progress = js_progress(progress_js);
    ExternalRound r = explain_external_round(session.card, tensor_of(data, shape), method, spec,
                                             params_of(params_json), classes,
                                             session.external_inputs, known, progress);
    val out = val::object();
    out.set("done", r.done);
    if (!r.done) {
      session.external_inputs = std::move(r.inputs);
      out.set("first", static_cast<double>(r.first_unknown));
      out.set("pending", static_cast<double>(session.external_inputs.size() - r.first_unknown));
      return out;
    }
    session.external_inputs.clear();
    const Tensor& rel = r.attribution.relevance;
    out.set("relevance", float_array(rel.f32(), static_cast<size_t>(rel.numel())));
    out.set("json", attribution_json(r.attribution, session.card).dump());
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
    return bindings::tensor_object(session.external_inputs[index]);
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
