// Log: y = ln(x); dy/dx = 1/x.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float log_forward(float x, float /*a*/, float /*b*/) {
  return std::log(x);
}

float log_grad(float x, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return dy / x;
}

std::unique_ptr<Op> make_log(const OpBuildContext& /*ctx*/) {
  return make_unary(log_forward, log_grad, 0.0f, 0.0f, false, {}, UnaryKind::log);
}

}  // namespace

void register_log(OpRegistry& r) {
  r.add({"Log", make_log, LrpRole::pass_through, true});
}

}  // namespace heatlens
