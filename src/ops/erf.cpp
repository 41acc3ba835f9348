// Erf: y = erf(x); dy/dx = 2/√π · exp(−x²).
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float erf_forward(float x, float /*a*/, float /*b*/) {
  return std::erf(x);
}

float erf_grad(float x, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return dy * 1.12837916709551257f * std::exp(-x * x);
}

std::unique_ptr<Op> make_erf(const OpBuildContext& /*ctx*/) {
  return make_unary(erf_forward, erf_grad, 0.0f, 0.0f, false);
}

}  // namespace

void register_erf(OpRegistry& r) {
  r.add({"Erf", make_erf, LrpRole::pass_through, true});
}

}  // namespace heatlens
