// Flatten: (d0, …, dn) → (d0·…·d(axis−1), d(axis)·…·dn); axis defaults to 1.
#include "ops/op_desc.h"
#include "ops/view_op.h"

namespace heatlens {

namespace {

class Flatten : public ViewOp {
 public:
  explicit Flatten(int64_t axis) : axis_(axis) {}

  Shape view_shape(const std::vector<ValueType>& in) const override {
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size());
    if (axis_ < -rank || axis_ > rank) error("axis " + std::to_string(axis_) + " out of range");
    const int axis = static_cast<int>(axis_ < 0 ? axis_ + rank : axis_);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < rank; ++i) (i < axis ? outer : inner) *= s[i];
    return {outer, inner};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::reshape;
    return in[0].dtype == DType::f32;
  }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> make_flatten(const OpBuildContext& ctx) {
  return std::make_unique<Flatten>(ctx.attrs.get_int("axis", 1));
}

}  // namespace

void register_flatten(OpRegistry& r) {
  r.add({"Flatten", make_flatten, LrpRole::data_movement, true});
}

}  // namespace heatlens
