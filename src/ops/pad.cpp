// Pad: constant, reflect and edge modes (pads as an attribute before opset 11, as inputs
// from 11, with optional axes from 18). Negative pads crop.
#include <algorithm>

#include "ops/gather_map_op.h"

namespace heatlens {

namespace {

class Pad : public GatherMapOp {
 public:
  Pad(std::string mode, bool from_inputs, std::vector<int64_t> pads, float value)
      : mode_(std::move(mode)), from_inputs_(from_inputs), pads_(std::move(pads)), value_(value) {}

  float fill_value(const std::vector<ValueType>& in) const override {
    if (!from_inputs_ || in.size() < 3 || in[2].omitted) return value_;
    const Tensor& v = constant_input(in, 2, *this, "constant_value");
    return v.dtype() == DType::f32 ? v.f32()[0] : static_cast<float>(v.i64()[0]);
  }

  Shape map(const std::vector<ValueType>& in, std::vector<int64_t>* source) const override {
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size());
    std::vector<int64_t> pads = from_inputs_ ? constant_ints(in, 1, *this, "pads") : pads_;
    std::vector<int64_t> begin(rank, 0), end(rank, 0);
    if (from_inputs_ && in.size() > 3 && !in[3].omitted) {
      std::vector<int64_t> axes = constant_ints(in, 3, *this, "axes");
      if (pads.size() != 2 * axes.size()) error("pads must have two entries per axis");
      for (size_t i = 0; i < axes.size(); ++i) {
        int axis = normalize_axis(axes[i], rank, *this);
        begin[axis] = pads[i];
        end[axis] = pads[i + axes.size()];
      }
    } else {
      if (pads.size() != 2 * s.size())
        error("pads has " + std::to_string(pads.size()) + " entries for rank " +
              std::to_string(rank));
      for (int d = 0; d < rank; ++d) {
        begin[d] = pads[d];
        end[d] = pads[d + rank];
      }
    }
    Shape out(rank);
    for (int d = 0; d < rank; ++d) {
      out[d] = s[d] + begin[d] + end[d];
      if (out[d] < 0) error("pads remove more than the whole axis");
      if (mode_ == "reflect" && (begin[d] >= s[d] || end[d] >= s[d]) &&
          (begin[d] > 0 || end[d] > 0)) {
        error("reflect padding must be smaller than the axis size");
      }
      if (mode_ == "edge" && s[d] == 0 && out[d] > 0) error("edge padding of an empty axis");
    }
    if (source) {
      std::vector<int64_t> strides = row_strides(s);
      source->resize(shape_numel(out));
      for_each_index(out, [&](int64_t o, const std::vector<int64_t>& idx) {
        int64_t k = 0;
        for (int d = 0; d < rank; ++d) {
          int64_t i = idx[d] - begin[d];
          if (i < 0 || i >= s[d]) {
            if (mode_ == "constant") {
              k = -1;
              break;
            }
            if (mode_ == "edge") {
              i = std::clamp<int64_t>(i, 0, s[d] - 1);
            } else {  // reflect (mirror without repeating the edge)
              while (i < 0 || i >= s[d]) i = i < 0 ? -i : 2 * (s[d] - 1) - i;
            }
          }
          k += i * strides[d];
        }
        (*source)[o] = k;
      });
    }
    return out;
  }

 private:
  std::string mode_;
  bool from_inputs_;
  std::vector<int64_t> pads_;
  float value_;
};

std::unique_ptr<Op> make_pad(const OpBuildContext& ctx) {
  std::string mode = ctx.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    ctx.attrs.error("mode '" + mode + "' is not supported");
  if (ctx.opset >= 11) return std::make_unique<Pad>(mode, true, std::vector<int64_t>{}, 0.0f);
  std::vector<int64_t> pads = ctx.attrs.get_ints(ctx.opset < 2 ? "paddings" : "pads");
  return std::make_unique<Pad>(mode, false, pads, ctx.attrs.get_float("value", 0.0f));
}

}  // namespace

void register_pad(OpRegistry& r) {
  r.add({"Pad", make_pad, LrpRole::data_movement, true});
}

}  // namespace heatlens
