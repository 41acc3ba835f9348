// ReduceMean: mean over the given axes (over the spatial axes it is GlobalAveragePool, and LRP
// treats it so).
#include "ops/reduce_common.h"

namespace heatlens {

namespace {

std::unique_ptr<Op> make_reduce_mean(const OpBuildContext& ctx) {
  return make_reduce(ctx, ReduceKind::mean, 18);
}

}  // namespace

void register_reduce_mean(OpRegistry& r) {
  r.add({"ReduceMean", make_reduce_mean, LrpRole::proportional, true});
}

}  // namespace heatlens
