// ReduceSum: sum over the given axes (all by default).
#include "ops/reduce_common.h"

namespace heatlens {

namespace {

std::unique_ptr<Op> make_reduce_sum(const OpBuildContext& ctx) {
  return make_reduce(ctx, ReduceKind::sum, 13);
}

}  // namespace

void register_reduce_sum(OpRegistry& r) {
  r.add({"ReduceSum", make_reduce_sum, LrpRole::proportional, true});
}

}  // namespace heatlens
