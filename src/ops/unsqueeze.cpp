// Unsqueeze: inserts size-1 dimensions at the given axes of the output (attribute before
// opset 13, input from 13).
#include <algorithm>

#include "ops/view_op.h"

namespace heatlens {

namespace {

class Unsqueeze : public ViewOp {
 public:
  Unsqueeze(bool axes_from_input, std::vector<int64_t> axes)
      : from_input_(axes_from_input), axes_(std::move(axes)) {}

  Shape view_shape(const std::vector<ValueType>& in) const override {
    std::vector<int64_t> axes = from_input_ ? constant_ints(in, 1, *this, "axes") : axes_;
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size() + axes.size());
    std::vector<bool> inserted(rank, false);
    for (int64_t a : axes) {
      int axis = normalize_axis(a, rank, *this);
      if (inserted[axis]) error("axis " + std::to_string(a) + " is repeated");
      inserted[axis] = true;
    }
    Shape out;
    size_t k = 0;
    for (int i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : s[k++]);
    return out;
  }

 private:
  bool from_input_;
  std::vector<int64_t> axes_;
};

std::unique_ptr<Op> make_unsqueeze(const OpBuildContext& ctx) {
  if (ctx.opset >= 13) return std::make_unique<Unsqueeze>(true, std::vector<int64_t>{});
  std::vector<int64_t> axes = ctx.attrs.get_ints("axes");
  if (axes.empty()) ctx.attrs.error("required attribute 'axes' is missing");
  return std::make_unique<Unsqueeze>(false, axes);
}

}  // namespace

void register_unsqueeze(OpRegistry& r) {
  r.add({"Unsqueeze", make_unsqueeze, LrpRole::data_movement, true});
}

}  // namespace heatlens
