// Elu: y = x for x > 0, alpha·(exp(x) − 1) otherwise; at 0 the gradient is alpha, as in PyTorch.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float elu_forward(float x, float a, float /*b*/) {
  return x > 0 ? x : a * (std::exp(x) - 1.0f);
}

float elu_grad(float x, float /*y*/, float dy, float a, float /*b*/) {
  return x > 0 ? dy : dy * a * std::exp(x);
}

std::unique_ptr<Op> make_elu(const OpBuildContext& ctx) {
  const float alpha = ctx.attrs.get_float("alpha", 1.0f);
  return make_unary(elu_forward, elu_grad, alpha, 0.0f, false, {}, UnaryKind::elu);
}

}  // namespace

void register_elu(OpRegistry& r) {
  r.add({"Elu", make_elu, LrpRole::pass_through, true});
}

}  // namespace heatlens
