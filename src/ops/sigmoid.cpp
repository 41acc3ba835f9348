// Sigmoid: y = 1 / (1 + exp(−x)); dy/dx = y·(1 − y).
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float sigmoid_forward(float x, float /*a*/, float /*b*/) {
  return x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x));
}

float sigmoid_grad(float /*x*/, float y, float dy, float /*a*/, float /*b*/) {
  return dy * y * (1.0f - y);
}

std::unique_ptr<Op> make_sigmoid(const OpBuildContext& /*ctx*/) {
  return make_unary(sigmoid_forward, sigmoid_grad, 0.0f, 0.0f, true, Activation::sigmoid(),
                    UnaryKind::sigmoid);
}

}  // namespace

void register_sigmoid(OpRegistry& r) {
  r.add({"Sigmoid", make_sigmoid, LrpRole::pass_through, true});
}

}  // namespace heatlens
