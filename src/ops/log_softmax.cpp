// LogSoftmax: y = x − log Σ exp(x) along an axis; implemented with Softmax in softmax_common.cpp.
#include "ops/softmax_common.h"

namespace heatlens {

namespace {

std::unique_ptr<Op> make_log_softmax(const OpBuildContext& ctx) {
  return make_softmax_family(ctx, true);
}

}  // namespace

void register_log_softmax(OpRegistry& r) {
  r.add({"LogSoftmax", make_log_softmax, LrpRole::unsupported, true});
}

}  // namespace heatlens
