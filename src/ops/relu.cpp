// Relu: y = max(x, 0); the gradient at x = 0 is 0, as in PyTorch.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float relu_forward(float x, float /*a*/, float /*b*/) {
  return x > 0 ? x : 0.0f;
}

float relu_grad(float x, float /*y*/, float dy, float /*a*/, float /*b*/) {
  return x > 0 ? dy : 0.0f;
}

std::unique_ptr<Op> make_relu(const OpBuildContext& /*ctx*/) {
  return make_unary(relu_forward, relu_grad, 0.0f, 0.0f, false, Activation::relu(),
                    UnaryKind::relu);
}

}  // namespace

void register_relu(OpRegistry& r) {
  r.add({"Relu", make_relu, LrpRole::pass_through, true});
}

}  // namespace heatlens
