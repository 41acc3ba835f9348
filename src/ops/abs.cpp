// Abs: y = |x|; dy/dx = sign(x), 0 at 0 (PyTorch).
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float abs_forward(float x, float /*a*/, float /*b*/) {
  return std::fabs(x);
}

float abs_grad(float x, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return x > 0 ? dy : (x < 0 ? -dy : 0.0f);
}

std::unique_ptr<Op> make_abs(const OpBuildContext& /*ctx*/) {
  return make_unary(abs_forward, abs_grad, 0.0f, 0.0f, false, {}, UnaryKind::abs);
}

}  // namespace

void register_abs(OpRegistry& r) {
  r.add({"Abs", make_abs, LrpRole::pass_through, true});
}

}  // namespace heatlens
