// Slice: starts/ends/axes/steps (attributes before opset 10, constant inputs after), with
// negative indices, clamping and negative steps as the ONNX spec defines them.
#include <algorithm>

#include "ops/gather_map_op.h"

namespace heatlens {

namespace {

class Slice : public GatherMapOp {
 public:
  Slice(bool from_inputs, std::vector<int64_t> starts, std::vector<int64_t> ends,
        std::vector<int64_t> axes)
      : from_inputs_(from_inputs),
        starts_(std::move(starts)),
        ends_(std::move(ends)),
        axes_(std::move(axes)) {}

  Shape map(const std::vector<ValueType>& in, std::vector<int64_t>* source) const override {
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size());
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    if (from_inputs_) {
      starts = constant_ints(in, 1, *this, "starts");
      ends = constant_ints(in, 2, *this, "ends");
      if (in.size() > 3 && !in[3].omitted) axes = constant_ints(in, 3, *this, "axes");
      if (in.size() > 4 && !in[4].omitted) steps = constant_ints(in, 4, *this, "steps");
    }
    if (starts.size() != ends.size()) error("starts and ends differ in length");
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
      error("axes/steps lengths differ from starts");
    std::vector<int64_t> first(rank, 0), step(rank, 1);
    Shape out = s;
    for (size_t i = 0; i < starts.size(); ++i) {
      const int axis = normalize_axis(axes[i], rank, *this);
      const int64_t dim = s[axis], st = steps[i];
      if (st == 0) error("step 0 is invalid");
      int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
      int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (st > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        out[axis] = e > b ? (e - b + st - 1) / st : 0;
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        out[axis] = b > e ? (b - e + (-st) - 1) / (-st) : 0;
      }
      first[axis] = b;
      step[axis] = st;
    }
    if (source) {
      std::vector<int64_t> strides = row_strides(s);
      source->resize(shape_numel(out));
      for_each_index(out, [&](int64_t o, const std::vector<int64_t>& idx) {
        int64_t k = 0;
        for (int d = 0; d < rank; ++d) k += (first[d] + idx[d] * step[d]) * strides[d];
        (*source)[o] = k;
      });
    }
    return out;
  }

 private:
  bool from_inputs_;
  std::vector<int64_t> starts_, ends_, axes_;
};

std::unique_ptr<Op> make_slice(const OpBuildContext& ctx) {
  if (ctx.opset >= 10)
    return std::make_unique<Slice>(true, std::vector<int64_t>{}, std::vector<int64_t>{},
                                   std::vector<int64_t>{});
  return std::make_unique<Slice>(false, ctx.attrs.get_ints("starts"), ctx.attrs.get_ints("ends"),
                                 ctx.attrs.get_ints("axes"));
}

}  // namespace

void register_slice(OpRegistry& r) {
  r.add({"Slice", make_slice, LrpRole::data_movement, true});
}

}  // namespace heatlens
