// Shared machinery of ReduceSum, ReduceMean and ReduceMax: which axes (attribute, or a
// constant input from the opset where the operator moved them there), keepdims, and
// noop_with_empty_axes.
#pragma once

#include <functional>

#include "ops/op_util.h"

namespace heatlens {

// axes_input_opset: first opset in which the axes are an input (13 for ReduceSum, 18 else).
std::unique_ptr<Op> make_reduce(const OpBuildContext& ctx, ReduceKind kind, int axes_input_opset);

}  // namespace heatlens
