// Squeeze: removes size-1 dimensions — the listed axes (attribute before opset 13, input
// from 13), or all of them when none are given.
#include <algorithm>

#include "ops/view_op.h"

namespace heatlens {

namespace {

class Squeeze : public ViewOp {
 public:
  Squeeze(bool axes_from_input, std::vector<int64_t> axes)
      : from_input_(axes_from_input), axes_(std::move(axes)) {}

  Shape view_shape(const std::vector<ValueType>& in) const override {
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size());
    std::vector<int64_t> axes = axes_;
    if (from_input_ && in.size() > 1 && !in[1].omitted) {
      axes = constant_ints(in, 1, *this, "axes");
    }
    std::vector<bool> drop(rank, false);
    if (axes.empty()) {
      for (int i = 0; i < rank; ++i) drop[i] = s[i] == 1;
    }
    for (int64_t a : axes) {
      int axis = normalize_axis(a, rank, *this);
      if (s[axis] != 1)
        error("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(s[axis]));
      drop[axis] = true;
    }
    Shape out;
    for (int i = 0; i < rank; ++i) {
      if (!drop[i]) out.push_back(s[i]);
    }
    return out;
  }

 private:
  bool from_input_;
  std::vector<int64_t> axes_;
};

std::unique_ptr<Op> make_squeeze(const OpBuildContext& ctx) {
  if (ctx.opset >= 13) return std::make_unique<Squeeze>(true, std::vector<int64_t>{});
  return std::make_unique<Squeeze>(false, ctx.attrs.get_ints("axes"));
}

}  // namespace

void register_squeeze(OpRegistry& r) {
  r.add({"Squeeze", make_squeeze, LrpRole::data_movement, true});
}

}  // namespace heatlens
