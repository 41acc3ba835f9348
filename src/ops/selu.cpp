// Selu: y = gamma·x for x > 0, gamma·alpha·(exp(x) − 1) otherwise.
#include <algorithm>
#include <cmath>

#include "ops/op_util.h"

namespace heatlens {

namespace {

float selu_forward(float x, float a, float b) {
  return x > 0 ? b * x : b * a * (std::exp(x) - 1.0f);
}

float selu_grad(float x, float /*y*/, float dy, float a, float b) {
  return x > 0 ? dy * b : dy * b * a * std::exp(x);
}

std::unique_ptr<Op> make_selu(const OpBuildContext& ctx) {
  const float alpha = ctx.attrs.get_float("alpha", 1.6732631921768188f);
  const float gamma = ctx.attrs.get_float("gamma", 1.0507010221481323f);
  return make_unary(selu_forward, selu_grad, alpha, gamma, false);
}

}  // namespace

void register_selu(OpRegistry& r) {
  r.add({"Selu", make_selu, LrpRole::pass_through, true});
}

}  // namespace heatlens
