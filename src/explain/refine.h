// Refinement of any method's map ("Distribution-Guided Local Explanation for Black-Box
// Classifiers", §3.2–3.3): a distribution controller m = sigmoid(η·z)^h of the instance-
// normalised map z (or the basic ReLU variant), then fine-tuning with the insertion curve.
#pragma once

#include <vector>

#include "explain/method.h"

namespace heatlens {

// refine, refine-eta, refine-h, refine-finetune, refine-samples, refine-baseline,
// refine-blur-sigma: appended to every method's schema by the registry.
std::vector<ParamSpec> refine_params();

// z = (r − mean) / std; m = sigmoid(η·z)^h, or max(z, 0) / max(z) when relu.
std::vector<double> distribution_transform(const std::vector<double>& r, double eta, double h,
                                           bool relu);

// Fine-tuning: q[k] is the class probability with the top positions[k] features kept
// (positions ascending from 0 to the number of features); made monotone (q_k = max_{j≤k} q_j),
// v = q_max − q interpolated linearly between the sampled positions, and r'_i = m_i·v_i for the
// feature of rank i. `m` is indexed by rank (largest first).
std::vector<double> insertion_finetune(const std::vector<double>& m_by_rank,
                                       const std::vector<int64_t>& positions,
                                       const std::vector<double>& q);

// Applies the refinement chosen in p (no-op for refine=none) to a's relevance.
void refine_attribution(ExplainModel& model, const Tensor& x, const Target& t, const ParamValues& p,
                        Attribution& a, Progress& progress);

}  // namespace heatlens
