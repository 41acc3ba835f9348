// Activation fusion for forward-only runs: Conv followed by Relu, Clip (ReLU6) or SiLU
// (x·sigmoid(x), as PyTorch exports it) runs as one kernel whose epilogue applies the
// activation, so the pre-activation tensor is never written out; a residual Add followed by
// one applies it to each chunk of its sum as it is written (ResNet's blocks).
//
// A fusion is found when the pre-activation value feeds only the activation's nodes and is
// not a model output; the engine applies it only when that value is not wanted either (not
// recorded for a backward pass, not captured).
#pragma once

#include <vector>

#include "engine/plan.h"
#include "graph/graph.h"

namespace heatlens {

// One entry per plan step (make_plan stores them in Plan::fusions).
std::vector<Fusion> find_fusions(const Graph& graph, const Plan& plan, const ValueUses& uses);

// A residual Add and the activation after it run in the epilogue of the convolution that makes
// the Add's last-computed input (Activation::addend): the sum and its activation are written as
// each output tile completes, where the Add had been a pass of its own over three tensors
// (ResNet-50's first stage: 0.6 ms each at 2 threads). For forward-only runs only, so they are
// kept apart from Plan::fusions (which recorded runs and the WebGPU pass also read); one entry
// per plan step (make_plan stores them in Plan::residual_fusions).
std::vector<Fusion> find_residual_fusions(const Graph& graph, const Plan& plan,
                                          const ValueUses& uses);

}  // namespace heatlens
