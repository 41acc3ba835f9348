// Helpers shared by the operator files: axes, broadcasting, reductions of broadcast
// gradients, and the element-wise operator template most activations are built from.
//
//   Shape out = broadcast_shapes(a.shape(), b.shape(), op);
//   broadcast_for_each(out, a.shape(), b.shape(), [&](int64_t o, int64_t i, int64_t j) { ... });
#pragma once

#include <functional>
#include <memory>

#include "ops/op.h"
#include "ops/op_desc.h"

namespace heatlens {

// Axis in [-rank, rank) → [0, rank); throws naming the op otherwise.
int normalize_axis(int64_t axis, int rank, const Op& op);
std::vector<int64_t> row_strides(const Shape& shape);

// Numpy-style (multidirectional) broadcasting.
Shape broadcast_shapes(const Shape& a, const Shape& b, const Op& op);

// Calls fn(out_index, a_index, b_index) over every element of `out` (the broadcast shape).
void broadcast_for_each(const Shape& out, const Shape& a, const Shape& b,
                        const std::function<void(int64_t, int64_t, int64_t)>& fn);

// Sums `grad` (of a broadcast result) down to `target`, the shape of a broadcast operand.
Tensor sum_to_shape(const Tensor& grad, const Shape& target);

// Inputs must be float32; throws naming the op and the input otherwise.
void require_f32(const ValueType& t, const Op& op, const char* what);

// Element-wise unary operator: y = f(x), dx = df(x, y, dy). `same_as`, when set, is the
// activation f computes (Relu): its forward then runs that vectorised loop, and the engine may
// fuse it into the op before.
using UnaryFn = float (*)(float x, float alpha, float beta);
using UnaryGradFn = float (*)(float x, float y, float dy, float alpha, float beta);
// `kind` names f for accelerator backends (ops/op_desc.h); none: it runs on the CPU there.
std::unique_ptr<Op> make_unary(UnaryFn f, UnaryGradFn df, float alpha = 0, float beta = 0,
                               bool grad_uses_output = false, Activation same_as = {},
                               UnaryKind kind = UnaryKind::none);

// Types of concrete tensors (undefined ones are marked omitted), so forward() can reuse the
// same code as infer() for attribute-like inputs.
std::vector<ValueType> value_types(const Tensors& in);

// The constant value of an input that must be known at plan time (shapes, axes, pads).
const Tensor& constant_input(const std::vector<ValueType>& inputs, size_t index, const Op& op,
                             const char* what);
std::vector<int64_t> constant_ints(const std::vector<ValueType>& inputs, size_t index, const Op& op,
                                   const char* what);

}  // namespace heatlens
