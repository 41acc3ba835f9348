// Neg: y = −x.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float neg_forward(float x, float /*a*/, float /*b*/) {
  return -x;
}

float neg_grad(float /*x*/, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return -dy;
}

std::unique_ptr<Op> make_neg(const OpBuildContext& /*ctx*/) {
  return make_unary(neg_forward, neg_grad, 0.0f, 0.0f, false, {}, UnaryKind::neg);
}

}  // namespace

void register_neg(OpRegistry& r) {
  r.add({"Neg", make_neg, LrpRole::pass_through, true});
}

}  // namespace heatlens
