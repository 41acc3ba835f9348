#include "explain/external_rounds.h"

#include <cstring>

#include "core/error.h"

namespace heatlens {

namespace {

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.f32(), b.f32(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

}  // namespace

ExternalRound explain_external_round(const ModelCard& card, const Tensor& x,
                                     const std::string& method, const TargetSpec& target,
                                     const std::map<std::string, std::string>& params,
                                     int64_t classes, const std::vector<Tensor>& previous_inputs,
                                     const std::vector<Tensor>& known_scores, Progress& progress,
                                     size_t max_recorded_bytes) {
  const MethodInfo& m = find_method(method);
  HEATLENS_CHECK(m.access == "forward",
                 m.name << " needs " << m.access
                        << " (it differentiates or reads the model's layers), which heatlens "
                           "cannot do for a model with unsupported operators; the forward-only "
                           "methods run through ONNX Runtime");
  HEATLENS_CHECK(classes >= 1, "the number of classes must be positive");
  HEATLENS_CHECK(known_scores.size() <= previous_inputs.size(),
                 "scores for " << known_scores.size() << " batches, but only "
                               << previous_inputs.size() << " were asked for");
  ExternalRound round;
  bool recording = false;
  size_t recorded_bytes = 0;
  ExplainModel model(
      [&](const Tensor& batch) {
        const size_t i = round.inputs.size();
        if (!recording && i < known_scores.size() && same(batch, previous_inputs[i])) {
          const Tensor& s = known_scores[i];
          HEATLENS_CHECK(s.rank() == 2 && s.dim(0) == batch.dim(0) && s.dim(1) == classes,
                         "the scores of batch " << i << " have shape " << shape_str(s.shape()));
          round.inputs.push_back(previous_inputs[i]);
          return s;
        }
        if (!recording) round.first_unknown = i;
        recording = true;
        recorded_bytes += static_cast<size_t>(batch.numel()) * sizeof(float);
        HEATLENS_CHECK(recorded_bytes <= max_recorded_bytes,
                       m.name << " needs more than " << (max_recorded_bytes >> 20)
                              << " MB of inputs for ONNX Runtime in one round; lower its samples "
                                 "or masks");
        Tensor copy(batch.shape());
        std::memcpy(copy.f32(), batch.f32(), static_cast<size_t>(batch.numel()) * sizeof(float));
        round.inputs.push_back(copy);
        return Tensor({batch.dim(0), classes});
      },
      card);
  Attribution a = explain(model, x, method, target, params, progress);
  round.done = !recording;
  if (round.done) {
    a.notes["runner"] = "onnxruntime-web (the model has operators heatlens lacks)";
    round.attribution = std::move(a);
  }
  return round;
}

}  // namespace heatlens
