// Explaining a model whose scores come from outside heatlens (onnxruntime-web in the page, for
// models with operators heatlens lacks). The outside runner answers only asynchronously, so a
// forward-only method runs in rounds: a round replays the scores known so far — checking that
// the method asks for the same inputs again — then records every further batch with zero
// scores. The caller scores the recorded batches from the first unknown one and starts the
// next round. A method whose inputs do not depend on the scores (occlusion, rise, lime,
// kernel-shap, shapley-sampling) finishes in two rounds; an adaptive one (matching-pursuit,
// refinement) gains at least one correct batch per round.
//
//   std::vector<Tensor> inputs, known;
//   for (;;) {
//     ExternalRound r = explain_external_round(card, x, "rise", {}, {}, 10, inputs, known, p);
//     if (r.done) return r.attribution;
//     known.resize(r.first_unknown);
//     for (size_t k = r.first_unknown; k < r.inputs.size(); ++k)
//     known.push_back(score(r.inputs[k])); inputs = r.inputs;
//   }
#pragma once

#include <map>
#include <string>
#include <vector>

#include "explain/method.h"

namespace heatlens {

struct ExternalRound {
  bool done = false;
  size_t first_unknown = 0;    // when not done: the first batch whose scores are unknown
  std::vector<Tensor> inputs;  // every batch the method asked for, in order
  Attribution attribution;     // when done
};

// previous_inputs: the last round's `inputs`; known_scores[i]: the scores [n_i, classes] of its
// batch i (only the first known_scores.size() count). Methods that need gradients or layers
// are refused with an error that says why.
ExternalRound explain_external_round(const ModelCard& card, const Tensor& x,
                                     const std::string& method, const TargetSpec& target,
                                     const std::map<std::string, std::string>& params,
                                     int64_t classes, const std::vector<Tensor>& previous_inputs,
                                     const std::vector<Tensor>& known_scores, Progress& progress,
                                     size_t max_recorded_bytes = size_t{512} << 20);

}  // namespace heatlens
