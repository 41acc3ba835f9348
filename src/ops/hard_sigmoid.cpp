// HardSigmoid: y = clamp(alpha·x + beta, 0, 1); gradient alpha strictly inside (PyTorch's
// convention).
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float hard_sigmoid_forward(float x, float a, float b) {
  return std::min(1.0f, std::max(0.0f, a * x + b));
}

float hard_sigmoid_grad(float x, float /*y*/, float dy, float a, float b) {
  return (a * x + b > 0.0f && a * x + b < 1.0f) ? dy * a : 0.0f;
}

std::unique_ptr<Op> make_hard_sigmoid(const OpBuildContext& ctx) {
  const float alpha = ctx.attrs.get_float("alpha", 0.2f);
  const float beta = ctx.attrs.get_float("beta", 0.5f);
  return make_unary(hard_sigmoid_forward, hard_sigmoid_grad, alpha, beta, false, {},
                    UnaryKind::hard_sigmoid);
}

}  // namespace

void register_hard_sigmoid(OpRegistry& r) {
  r.add({"HardSigmoid", make_hard_sigmoid, LrpRole::pass_through, true});
}

}  // namespace heatlens
