// One graph node on the GPU: which nodes have kernels (forward and backward), and running them
// over device tensors. The executor (gpu/webgpu_backend.cpp) hands the other nodes to the CPU.
//
//   OpDesc d;
//   if (gpu_forward_supported(node, types, outs, d)) y = gpu_forward(c, node, d, types, shape, x,
//   act);
#pragma once

#include <vector>

#include "engine/plan.h"
#include "gpu/context.h"
#include "ops/op_desc.h"

namespace heatlens::gpu {

using DeviceTensors = std::vector<DeviceTensor>;

// The planned types of a node's outputs (absent outputs: default types).
std::vector<ValueType> node_output_types(const Node& node, const Plan& p);

// Whether the GPU runs this node forward (`desc` is filled when it does).
bool gpu_forward_supported(const Node& node, const std::vector<ValueType>& in_types,
                           const std::vector<ValueType>& out_types, OpDesc& desc);
// Its output (of the planned shape `out`). Inputs that are model constants come in uploaded;
// `act` is a fused activation (conv only; none otherwise).
DeviceTensors gpu_forward(Context& c, const Node& node, const OpDesc& desc,
                          const std::vector<ValueType>& in_types, const Shape& out,
                          const DeviceTensors& in, const Activation& act);

// Whether the GPU computes the gradients this node's backward needs (`need`).
bool gpu_backward_supported(const Node& node, const OpDesc& desc,
                            const std::vector<ValueType>& in_types, const std::vector<bool>& need);
// Input gradients (undefined where not needed). `in`/`out` hold the saved values the op's
// VJP reads (op->vjp_uses_input/output), `grad_out` the output gradients.
DeviceTensors gpu_backward(Context& c, const Node& node, const OpDesc& desc,
                           const std::vector<ValueType>& in_types, const DeviceTensors& in,
                           const DeviceTensors& out, const DeviceTensor& grad_out,
                           const std::vector<bool>& need);

}  // namespace heatlens::gpu
