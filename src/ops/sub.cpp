// Sub: y = a − b (broadcasting).
#include <cstdint>

#include "ops/binary_op.h"

namespace heatlens {

namespace {

float sub_forward(float a, float b) {
  return a - b;
}
int64_t sub_int(int64_t a, int64_t b) {
  return a - b;
}
float sub_grad_a(float /*a*/, float /*b*/, float /*y*/, float g) {
  return g;
}
float sub_grad_b(float /*a*/, float /*b*/, float /*y*/, float g) {
  return -g;
}

std::unique_ptr<Op> make_sub(const OpBuildContext&) {
  return make_binary(sub_forward, sub_int, sub_grad_a, sub_grad_b, false, false, BinaryKind::sub);
}

}  // namespace

void register_sub(OpRegistry& r) {
  r.add({"Sub", make_sub, LrpRole::pass_through, true});
}

}  // namespace heatlens
