// LRP on the WebGPU backend: the propagation of explain/lrp_propagation.h over device tensors.
// Relevance stays on the GPU from the logits to the input; the rules' modified forwards and
// transposed products run the conv/gemm kernels with modified weights (w⁺, w⁻, w + γw⁺, w²),
// their element-wise steps wgsl/relevance.wgsl. A layer or node without a GPU kernel runs its
// rule on the CPU (counted as a fallback). Only the input relevance and the per-layer sums
// are read back, in one transfer.
//
//   set_device_relevance(&gpu::device_relevance_pass);   // once, by the bindings
#pragma once

#include "explain/lrp_propagation.h"

namespace heatlens::gpu {

bool device_relevance_pass(Engine& engine, const ForwardResult& forward, int logits_id,
                           int64_t class_index, const LrpSetup& setup, Progress& progress,
                           Propagation& out);

}  // namespace heatlens::gpu
