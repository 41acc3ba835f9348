#include "explain/perturbation/distortion.h"

#include "core/error.h"

namespace heatlens {

std::vector<ParamSpec> distortion_params() {
  return {{"distortion",
           ParamType::choice,
           "all",
           0,
           0,
           {"all", "target"},
           "Φ: every pre-softmax score, or the target class's only"}};
}

DistortionQuery::DistortionQuery(ExplainModel& model, const Tensor& xs, const Target& t,
                                 const ParamValues& p)
    : target_(t), all_classes_(p.text("distortion") == "all") {
  HEATLENS_CHECK(xs.rank() >= 2 && xs.dim(0) >= 1, "expected inputs [N, ...]");
  const Tensor logits = model.logits(xs);
  const int64_t classes = logits.dim(1);
  for (int64_t b = 0; b < xs.dim(0); ++b) {
    inputs_.push_back(batch_item(xs, b));
    reference_.emplace_back(logits.f32() + b * classes, logits.f32() + (b + 1) * classes);
    obfuscators_.emplace_back(p, inputs_.back(), model.card());
  }
  groups_ = make_groups(p, inputs_[0], model.card());
}

double DistortionQuery::distortion(const float* row, int64_t b) const {
  const std::vector<float>& ref = reference_[b];
  if (!all_classes_) {
    const double d = row[target_.class_index] - ref[target_.class_index];
    return 0.5 * d * d;
  }
  double sum = 0;
  for (size_t c = 0; c < ref.size(); ++c) sum += (row[c] - ref[c]) * (row[c] - ref[c]);
  return 0.5 * sum;
}

void DistortionQuery::seed(const float* row, int64_t b, float* seed_row) const {
  const std::vector<float>& ref = reference_[b];
  for (size_t c = 0; c < ref.size(); ++c)
    seed_row[c] =
        all_classes_ || static_cast<int64_t>(c) == target_.class_index ? row[c] - ref[c] : 0.0f;
}

}  // namespace heatlens
