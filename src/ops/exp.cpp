// Exp: y = exp(x); dy/dx = y.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float exp_forward(float x, float /*a*/, float /*b*/) {
  return std::exp(x);
}

float exp_grad(float /*x*/, float y, float dy, float /*a*/, float /*b*/) {
  return dy * y;
}

std::unique_ptr<Op> make_exp(const OpBuildContext& /*ctx*/) {
  return make_unary(exp_forward, exp_grad, 0.0f, 0.0f, true, {}, UnaryKind::exp);
}

}  // namespace

void register_exp(OpRegistry& r) {
  r.add({"Exp", make_exp, LrpRole::pass_through, true});
}

}  // namespace heatlens
