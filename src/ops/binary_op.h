// Element-wise binary operator with numpy broadcasting, used by Add, Sub, Mul, Div, Pow.
//
// Gradients are computed on the broadcast shape and then summed back to each operand's shape.
//   return make_binary([](float a, float b) { return a + b; },
//                      [](float, float, float, float g) { return g; },   // ∂/∂a
//                      [](float, float, float, float g) { return g; });  // ∂/∂b
#pragma once

#include "kernels/elementwise.h"
#include "ops/op_util.h"

namespace heatlens {

using BinaryFn = float (*)(float a, float b);
// Gradient contribution for one operand from (a, b, y, dy).
using BinaryGradFn = float (*)(float a, float b, float y, float dy);
// Integer version for shape arithmetic (nullptr: the op refuses int64 inputs).
using BinaryIntFn = int64_t (*)(int64_t a, int64_t b);

// `kind` names f when it is +, −, × or ÷, so the common broadcasts run vectorised loops.
std::unique_ptr<Op> make_binary(BinaryFn f, BinaryIntFn fi, BinaryGradFn da, BinaryGradFn db,
                                bool grad_uses_inputs, bool grad_uses_output,
                                BinaryKind kind = BinaryKind::other);

}  // namespace heatlens
