// LeakyRelu: y = x for x > 0, alpha·x otherwise (alpha = 0.01); at 0 the gradient is alpha, as in
// PyTorch.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float leaky_relu_forward(float x, float a, float /*b*/) {
  return x > 0 ? x : a * x;
}

float leaky_relu_grad(float x, float /*y*/, float dy, float a, float /*b*/) {
  return x > 0 ? dy : a * dy;
}

std::unique_ptr<Op> make_leaky_relu(const OpBuildContext& ctx) {
  const float alpha = ctx.attrs.get_float("alpha", 0.01f);
  return make_unary(leaky_relu_forward, leaky_relu_grad, alpha, 0.0f, false, {},
                    UnaryKind::leaky_relu);
}

}  // namespace

void register_leaky_relu(OpRegistry& r) {
  r.add({"LeakyRelu", make_leaky_relu, LrpRole::pass_through, true});
}

}  // namespace heatlens
