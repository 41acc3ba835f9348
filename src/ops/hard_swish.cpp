// HardSwish: y = x·clamp(x/6 + 1/2, 0, 1); gradient as PyTorch: 0 below −3, x/3 + 1/2 up to 3
// inclusive, 1 above.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float hard_swish_forward(float x, float /*a*/, float /*b*/) {
  return x * std::min(1.0f, std::max(0.0f, x / 6.0f + 0.5f));
}

float hard_swish_grad(float x, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return x < -3.0f ? 0.0f : (x <= 3.0f ? dy * (x / 3.0f + 0.5f) : dy);
}

std::unique_ptr<Op> make_hard_swish(const OpBuildContext& /*ctx*/) {
  return make_unary(hard_swish_forward, hard_swish_grad, 0.0f, 0.0f, false, {},
                    UnaryKind::hard_swish);
}

}  // namespace

void register_hard_swish(OpRegistry& r) {
  r.add({"HardSwish", make_hard_swish, LrpRole::pass_through, true});
}

}  // namespace heatlens
