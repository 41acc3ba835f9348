// Add: y = a + b (broadcasting). In LRP a residual Add redistributes relevance in proportion to
// each branch's contribution.
#include <cstdint>

#include "ops/binary_op.h"

namespace heatlens {

namespace {

float add_forward(float a, float b) {
  return a + b;
}
int64_t add_int(int64_t a, int64_t b) {
  return a + b;
}
float add_grad_a(float /*a*/, float /*b*/, float /*y*/, float g) {
  return g;
}
float add_grad_b(float /*a*/, float /*b*/, float /*y*/, float g) {
  return g;
}

std::unique_ptr<Op> make_add(const OpBuildContext&) {
  return make_binary(add_forward, add_int, add_grad_a, add_grad_b, false, false, BinaryKind::add);
}

}  // namespace

void register_add(OpRegistry& r) {
  r.add({"Add", make_add, LrpRole::proportional, true});
}

}  // namespace heatlens
