// Resize (opset 10: X, scales; opset 11+: X, roi, scales, sizes): nearest and linear
// interpolation with the coordinate transformations PyTorch and TensorFlow export.
#include "ops/resize_common.h"

namespace heatlens {

namespace {

class Resize : public ResizeOp {
 public:
  Resize(ResizeMode mode, bool v10) : ResizeOp(std::move(mode)), v10_(v10) {}

  void target(const std::vector<ValueType>& in, Shape& out,
              std::vector<double>& scales) const override {
    const Shape& s = in[0].shape;
    const size_t scales_at = v10_ ? 1 : 2, sizes_at = 3;
    const bool has_sizes = !v10_ && in.size() > sizes_at && !in[sizes_at].omitted &&
                           shape_numel(in[sizes_at].shape) > 0;
    if (has_sizes) {
      std::vector<int64_t> sizes = constant_ints(in, sizes_at, *this, "sizes");
      if (sizes.size() != s.size()) error("sizes has the wrong length");
      out.assign(sizes.begin(), sizes.end());
      scales.resize(s.size());
      for (size_t d = 0; d < s.size(); ++d) scales[d] = static_cast<double>(sizes[d]) / s[d];
      return;
    }
    if (in.size() <= scales_at || in[scales_at].omitted) error("needs scales or sizes");
    from_scales(s, constant_input(in, scales_at, *this, "scales").as_f32().to_f32_vector(), out,
                scales);
  }

 private:
  bool v10_;
};

std::unique_ptr<Op> make_resize(const OpBuildContext& ctx) {
  return std::make_unique<Resize>(parse_resize_mode(ctx.attrs, ctx.opset >= 11), ctx.opset < 11);
}

}  // namespace

void register_resize(OpRegistry& r) {
  OpInfo info{"Resize", make_resize, LrpRole::data_movement, true};
  info.min_opset = 10;
  r.add(info);
}

}  // namespace heatlens
