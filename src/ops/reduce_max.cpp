// ReduceMax: maximum over the given axes; the gradient is shared equally by tied maxima (PyTorch's
// amax).
#include "ops/reduce_common.h"

namespace heatlens {

namespace {

std::unique_ptr<Op> make_reduce_max(const OpBuildContext& ctx) {
  return make_reduce(ctx, ReduceKind::max, 18);
}

}  // namespace

void register_reduce_max(OpRegistry& r) {
  r.add({"ReduceMax", make_reduce_max, LrpRole::winner_takes_all, true});
}

}  // namespace heatlens
