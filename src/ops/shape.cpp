// Shape: the input's shape as int64 (optionally the [start, end) part, opset 15). Always a
// constant at plan time, which is what lets PyTorch's shape arithmetic fold away.
#include <algorithm>

#include "ops/op_util.h"

namespace heatlens {

namespace {

class ShapeOp : public Op {
 public:
  ShapeOp(int64_t start, int64_t end, bool has_end) : start_(start), end_(end), has_end_(has_end) {}

  Tensor shape_tensor(const Shape& s) const {
    const int64_t rank = static_cast<int64_t>(s.size());
    auto clip = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t b = clip(start_), e = has_end_ ? clip(end_) : rank;
    std::vector<int64_t> dims;
    for (int64_t i = b; i < e; ++i) dims.push_back(s[i]);
    return Tensor::from_i64({static_cast<int64_t>(dims.size())}, dims);
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    Tensor t = shape_tensor(in[0].shape);
    return {{DType::i64, t.shape(), t}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    return {shape_tensor(in[0].shape())};
  }
  bool has_vjp() const override { return false; }

 private:
  int64_t start_, end_;
  bool has_end_;
};

std::unique_ptr<Op> make_shape(const OpBuildContext& ctx) {
  if (ctx.opset >= 15) {
    return std::make_unique<ShapeOp>(ctx.attrs.get_int("start", 0), ctx.attrs.get_int("end", 0),
                                     ctx.attrs.has("end"));
  }
  return std::make_unique<ShapeOp>(0, 0, false);
}

}  // namespace

void register_shape(OpRegistry& r) {
  r.add({"Shape", make_shape, LrpRole::constant, false});
}

}  // namespace heatlens
