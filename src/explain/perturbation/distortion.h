// The distortion of the seed paper's rate-distortion view, shared by `rde` and
// `matching-pursuit`: for inputs x_b (one mask shared by all of them for a class-level query)
// and a perturbed z_b, d = ½‖Φ(x_b) − Φ(z_b)‖² over the pre-softmax scores Φ (every class, or
// the target class only).
#pragma once

#include <vector>

#include "explain/perturbation/perturbation.h"

namespace heatlens {

std::vector<ParamSpec> distortion_params();

class DistortionQuery {
 public:
  // xs: [N, ...], one or more inputs explained by one shared mask.
  DistortionQuery(ExplainModel& model, const Tensor& xs, const Target& t, const ParamValues& p);

  int64_t inputs() const { return static_cast<int64_t>(inputs_.size()); }
  const Tensor& input(int64_t b) const { return inputs_[b]; }
  const FeatureGroups& groups() const { return groups_; }
  Obfuscator& obfuscator(int64_t b) { return obfuscators_[b]; }
  // d for logits of a perturbation of input b.
  double distortion(const float* logits_row, int64_t b) const;
  // ∂d/∂Φ(z) = Φ(z) − Φ(x_b) (the target's entry only when distortion=target).
  void seed(const float* logits_row, int64_t b, float* seed_row) const;

 private:
  std::vector<Tensor> inputs_;
  std::vector<std::vector<float>> reference_;
  std::vector<Obfuscator> obfuscators_;
  FeatureGroups groups_;
  Target target_;
  bool all_classes_;
};

}  // namespace heatlens
