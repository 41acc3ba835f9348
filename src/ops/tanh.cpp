// Tanh: y = tanh(x); dy/dx = 1 − y².
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float tanh_forward(float x, float /*a*/, float /*b*/) {
  return std::tanh(x);
}

float tanh_grad(float /*x*/, float y, float dy, float /*a*/, float /*b*/) {
  return dy * (1.0f - y * y);
}

std::unique_ptr<Op> make_tanh(const OpBuildContext& /*ctx*/) {
  return make_unary(tanh_forward, tanh_grad, 0.0f, 0.0f, true, {}, UnaryKind::tanh);
}

}  // namespace

void register_tanh(OpRegistry& r) {
  r.add({"Tanh", make_tanh, LrpRole::pass_through, true});
}

}  // namespace heatlens
