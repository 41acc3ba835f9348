// Gather: picks entries of `data` along an axis by integer indices (negative ones count from
// the end). The gradient scatter-adds into the data's shape.
#include "ops/op_util.h"

namespace heatlens {

namespace {

class Gather : public Op {
 public:
  explicit Gather(int64_t axis) : axis_(axis) {}

  Shape out_shape(const Shape& data, const Shape& indices, int& axis) const {
    axis = normalize_axis(axis_, static_cast<int>(data.size()), *this);
    Shape out(data.begin(), data.begin() + axis);
    out.insert(out.end(), indices.begin(), indices.end());
    out.insert(out.end(), data.begin() + axis + 1, data.end());
    return out;
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in[1].dtype != DType::i64) error("indices must be integers");
    int axis;
    return {{in[0].dtype, out_shape(in[0].shape, in[1].shape, axis), Tensor()}};
  }

  // Calls fn(out_index, data_index) for every output element.
  template <class F>
  void walk(const Shape& data, const Tensor& indices, F fn) const {
    int axis;
    out_shape(data, indices.shape(), axis);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= data[d];
    for (size_t d = axis + 1; d < data.size(); ++d) inner *= data[d];
    const int64_t n = indices.numel(), dim = data[axis];
    const int64_t* idx = indices.i64();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < n; ++k) {
        int64_t i = idx[k] < 0 ? idx[k] + dim : idx[k];
        if (i < 0 || i >= dim)
          error("index " + std::to_string(idx[k]) + " is out of range for size " +
                std::to_string(dim));
        for (int64_t j = 0; j < inner; ++j) fn((o * n + k) * inner + j, (o * dim + i) * inner + j);
      }
    }
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    int axis;
    Tensor out(out_shape(in[0].shape(), in[1].shape(), axis), in[0].dtype());
    if (in[0].dtype() == DType::i64) {
      walk(in[0].shape(), in[1], [&](int64_t o, int64_t s) { out.i64()[o] = in[0].i64()[s]; });
    } else {
      walk(in[0].shape(), in[1], [&](int64_t o, int64_t s) { out.f32()[o] = in[0].f32()[s]; });
    }
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensor dx(a.input_types[0].shape);
    const float* g = a.grad_outputs[0].f32();
    walk(a.input_types[0].shape, a.inputs[1], [&](int64_t o, int64_t s) { dx.f32()[s] += g[o]; });
    return {dx, Tensor()};
  }

  bool vjp_uses_input(int index) const override { return index == 1; }

 private:
  int64_t axis_;
};

std::unique_ptr<Op> make_gather(const OpBuildContext& ctx) {
  return std::make_unique<Gather>(ctx.attrs.get_int("axis", 0));
}

}  // namespace

void register_gather(OpRegistry& r) {
  r.add({"Gather", make_gather, LrpRole::data_movement, true});
}

}  // namespace heatlens
