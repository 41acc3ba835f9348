// Mul: y = a·b (broadcasting).
#include <cstdint>

#include "ops/binary_op.h"

namespace heatlens {

namespace {

float mul_forward(float a, float b) {
  return a * b;
}
int64_t mul_int(int64_t a, int64_t b) {
  return a * b;
}
float mul_grad_a(float /*a*/, float b, float /*y*/, float g) {
  return g * b;
}
float mul_grad_b(float a, float /*b*/, float /*y*/, float g) {
  return g * a;
}

std::unique_ptr<Op> make_mul(const OpBuildContext&) {
  return make_binary(mul_forward, mul_int, mul_grad_a, mul_grad_b, true, false, BinaryKind::mul);
}

}  // namespace

void register_mul(OpRegistry& r) {
  r.add({"Mul", make_mul, LrpRole::pass_through, true});
}

}  // namespace heatlens
