// Baselines (reference inputs) for Integrated Gradients, DeepLIFT and Expected Gradients:
// zero, black (the minimum of the model's input range), blur, uniform noise, the per-channel
// mean, or an .npy file.
#pragma once

#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "explain/params.h"
#include "media/model_card.h"

namespace heatlens {

// Choices of the `baseline` parameter (an .npy path is accepted too).
const std::vector<std::string>& baseline_kinds();
// The parameter specs every baseline-taking method shares (baseline, blur-sigma, seed).
std::vector<ParamSpec> baseline_params();

Tensor make_baseline(const std::string& kind, const Tensor& x, const ModelCard& card,
                     double blur_sigma, uint64_t seed);

}  // namespace heatlens
