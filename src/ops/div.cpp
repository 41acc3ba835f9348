// Div: y = a / b (broadcasting).
#include <cstdint>

#include "ops/binary_op.h"

namespace heatlens {

namespace {

float div_forward(float a, float b) {
  return a / b;
}
int64_t div_int(int64_t a, int64_t b) {
  return b == 0 ? 0 : a / b;
}
float div_grad_a(float /*a*/, float b, float /*y*/, float g) {
  return g / b;
}
float div_grad_b(float a, float b, float /*y*/, float g) {
  return -g * a / (b * b);
}

std::unique_ptr<Op> make_div(const OpBuildContext&) {
  return make_binary(div_forward, div_int, div_grad_a, div_grad_b, true, false, BinaryKind::div);
}

}  // namespace

void register_div(OpRegistry& r) {
  r.add({"Div", make_div, LrpRole::pass_through, true});
}

}  // namespace heatlens
