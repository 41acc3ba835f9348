// Reshape: the target shape is an input (constant at plan time; PyTorch's Shape → Gather →
// Concat chains fold to a constant). 0 copies the input dimension unless allowzero (opset 14);
// one −1 is inferred.
#include "ops/op_desc.h"
#include "ops/view_op.h"

namespace heatlens {

namespace {

class Reshape : public ViewOp {
 public:
  explicit Reshape(bool allow_zero) : allow_zero_(allow_zero) {}

  Shape view_shape(const std::vector<ValueType>& in) const override {
    if (in.size() < 2) error("expects data and shape");
    std::vector<int64_t> target = constant_ints(in, 1, *this, "the target shape");
    const Shape& s = in[0].shape;
    Shape out;
    int infer_at = -1;
    int64_t known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == 0 && !allow_zero_) {
        if (i >= s.size())
          error("shape entry 0 at position " + std::to_string(i) +
                " has no input dimension to copy");
        d = s[i];
      } else if (d == -1) {
        if (infer_at >= 0) error("shape has more than one −1");
        infer_at = static_cast<int>(i);
        d = 1;
      } else if (d < 0) {
        error("invalid shape entry " + std::to_string(d));
      }
      out.push_back(d);
      known *= d;
    }
    const int64_t total = shape_numel(s);
    if (infer_at >= 0) {
      if (known == 0 || total % known)
        error("cannot reshape " + shape_str(s) + " to " + shape_str(target));
      out[infer_at] = total / known;
    }
    if (shape_numel(out) != total)
      error("cannot reshape " + shape_str(s) + " to " + shape_str(target));
    return out;
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::reshape;
    return in[0].dtype == DType::f32;
  }

 private:
  bool allow_zero_;
};

std::unique_ptr<Op> make_reshape(const OpBuildContext& ctx) {
  bool allow_zero = ctx.opset >= 14 && ctx.attrs.get_int("allowzero", 0) != 0;
  return std::make_unique<Reshape>(allow_zero);
}

}  // namespace

void register_reshape(OpRegistry& r) {
  OpInfo info{"Reshape", make_reshape, LrpRole::data_movement, true};
  info.min_opset = 5;
  r.add(info);
}

}  // namespace heatlens
