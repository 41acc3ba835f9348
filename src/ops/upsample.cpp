// Upsample (opsets 7–9, deprecated from 10 in favour of Resize): nearest or linear with
// asymmetric coordinates; scales are an attribute (7–8) or a constant input (9).
#include "ops/resize_common.h"

namespace heatlens {

namespace {

class Upsample : public ResizeOp {
 public:
  Upsample(ResizeMode mode, std::vector<float> scales)
      : ResizeOp(std::move(mode)), scales_(std::move(scales)) {}

  void target(const std::vector<ValueType>& in, Shape& out,
              std::vector<double>& scales) const override {
    std::vector<float> s = scales_;
    if (s.empty()) s = constant_input(in, 1, *this, "scales").as_f32().to_f32_vector();
    from_scales(in[0].shape, s, out, scales);
  }

 private:
  std::vector<float> scales_;
};

std::unique_ptr<Op> make_upsample(const OpBuildContext& ctx) {
  std::vector<float> scales;
  if (ctx.opset < 9) {
    scales = ctx.attrs.get_floats("scales");
    if (scales.empty()) ctx.attrs.error("required attribute 'scales' is missing");
  }
  return std::make_unique<Upsample>(parse_resize_mode(ctx.attrs, false), scales);
}

}  // namespace

void register_upsample(OpRegistry& r) {
  OpInfo info{"Upsample", make_upsample, LrpRole::data_movement, true};
  info.max_opset = 9;
  r.add(info);
}

}  // namespace heatlens
