// Sqrt: y = √x; dy/dx = 1/(2y).
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float sqrt_forward(float x, float /*a*/, float /*b*/) {
  return std::sqrt(x);
}

float sqrt_grad(float /*x*/, float y, float dy, float /*a*/, float /*b*/) {
  return dy / (2.0f * y);
}

std::unique_ptr<Op> make_sqrt(const OpBuildContext& /*ctx*/) {
  return make_unary(sqrt_forward, sqrt_grad, 0.0f, 0.0f, true, {}, UnaryKind::sqrt);
}

}  // namespace

void register_sqrt(OpRegistry& r) {
  r.add({"Sqrt", make_sqrt, LrpRole::pass_through, true});
}

}  // namespace heatlens
