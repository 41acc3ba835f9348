// Identity: y = x.
#include "ops/view_op.h"

namespace heatlens {

namespace {

class Identity : public ViewOp {
 public:
  Shape view_shape(const std::vector<ValueType>& in) const override { return in[0].shape; }
};

std::unique_ptr<Op> make_identity(const OpBuildContext&) {
  return std::make_unique<Identity>();
}

}  // namespace

void register_identity(OpRegistry& r) {
  r.add({"Identity", make_identity, LrpRole::data_movement, true});
}

}  // namespace heatlens
