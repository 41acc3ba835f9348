// Softmax: y = exp(x)/Σ exp(x) along an axis; implemented with LogSoftmax in softmax_common.cpp.
#include "ops/softmax_common.h"

namespace heatlens {

namespace {

std::unique_ptr<Op> make_softmax(const OpBuildContext& ctx) {
  return make_softmax_family(ctx, false);
}

}  // namespace

void register_softmax(OpRegistry& r) {
  r.add({"Softmax", make_softmax, LrpRole::unsupported, true});
}

}  // namespace heatlens
