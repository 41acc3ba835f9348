// PRelu: y = x for x > 0, slope·x otherwise (slope broadcast to x). At 0 the gradient is
// the slope, as in PyTorch.
#include "ops/binary_op.h"

namespace heatlens {

namespace {

float prelu_forward(float x, float slope) {
  return x > 0 ? x : slope * x;
}
float prelu_grad_x(float x, float slope, float /*y*/, float g) {
  return x > 0 ? g : slope * g;
}
float prelu_grad_slope(float x, float /*slope*/, float /*y*/, float g) {
  return x > 0 ? 0.0f : x * g;
}

std::unique_ptr<Op> make_prelu(const OpBuildContext&) {
  return make_binary(prelu_forward, nullptr, prelu_grad_x, prelu_grad_slope, true, false);
}

}  // namespace

void register_prelu(OpRegistry& r) {
  r.add({"PRelu", make_prelu, LrpRole::pass_through, true});
}

}  // namespace heatlens
