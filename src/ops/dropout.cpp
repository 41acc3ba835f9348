// Dropout at inference: y = x. Training mode and the mask output are refused (heatlens
// explains the deployed model, which does not drop units).
#include "ops/view_op.h"

namespace heatlens {

namespace {

class Dropout : public ViewOp {
 public:
  Shape view_shape(const std::vector<ValueType>& in) const override {
    if (in.size() > 2 && !in[2].omitted) {
      for (int64_t v : constant_ints(in, 2, *this, "training_mode")) {
        if (v) error("training_mode = true is not supported");
      }
    }
    return in[0].shape;
  }
};

std::unique_ptr<Op> make_dropout(const OpBuildContext& ctx) {
  if (ctx.num_outputs > 1) ctx.attrs.error("the mask output is not supported");
  if (ctx.opset < 7 && ctx.attrs.get_int("is_test", 0) == 0)
    ctx.attrs.error("is_test = 0 is not supported");
  ctx.attrs.get_float("ratio", 0.5f);  // only used in training
  ctx.attrs.get_int("seed", 0);        // only used in training
  return std::make_unique<Dropout>();
}

}  // namespace

void register_dropout(OpRegistry& r) {
  r.add({"Dropout", make_dropout, LrpRole::data_movement, true});
}

}  // namespace heatlens
