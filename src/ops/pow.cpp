// Pow: y = a^b (broadcasting); ∂/∂b is 0 where a = 0 and b ≥ 0, as in PyTorch.
#include <cmath>
#include <cstdint>

#include "ops/binary_op.h"

namespace heatlens {

namespace {

float pow_forward(float a, float b) {
  return std::pow(a, b);
}
float pow_grad_a(float a, float b, float /*y*/, float g) {
  return g * b * std::pow(a, b - 1.0f);
}
float pow_grad_b(float a, float b, float y, float g) {
  return (a == 0.0f && b >= 0.0f) ? 0.0f : g * y * std::log(a);
}

std::unique_ptr<Op> make_pow(const OpBuildContext&) {
  return make_binary(pow_forward, nullptr, pow_grad_a, pow_grad_b, true, true);
}

}  // namespace

void register_pow(OpRegistry& r) {
  r.add({"Pow", make_pow, LrpRole::unsupported, true});
}

}  // namespace heatlens
