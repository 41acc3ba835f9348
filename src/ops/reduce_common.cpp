#include "ops/reduce_common.h"

#include <limits>

namespace heatlens {

namespace {

class Reduce : public Op {
 public:
  Reduce(ReduceKind kind, bool from_input, std::vector<int64_t> axes, bool keepdims, bool noop)
      : kind_(kind),
        from_input_(from_input),
        axes_(std::move(axes)),
        keepdims_(keepdims),
        noop_(noop) {}

  // The input shape with reduced axes set to 1, and the output shape.
  void shapes(const std::vector<ValueType>& in, Shape& kept, Shape& out) const {
    const Shape& s = in[0].shape;
    const int rank = static_cast<int>(s.size());
    std::vector<int64_t> axes = axes_;
    if (from_input_ && in.size() > 1 && !in[1].omitted) axes = constant_ints(in, 1, *this, "axes");
    std::vector<bool> reduce(rank, axes.empty() && !noop_);
    for (int64_t a : axes) reduce[normalize_axis(a, rank, *this)] = true;
    kept = s;
    out.clear();
    for (int d = 0; d < rank; ++d) {
      if (reduce[d]) kept[d] = 1;
      if (!reduce[d])
        out.push_back(s[d]);
      else if (keepdims_)
        out.push_back(1);
    }
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    Shape kept, out;
    shapes(in, kept, out);
    return {{DType::f32, out, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    std::vector<ValueType> types = value_types(in);
    Shape kept, out_shape;
    shapes(types, kept, out_shape);
    const Shape& s = in[0].shape();
    Tensor out(kept);
    float* y = out.f32();
    const float* x = in[0].f32();
    if (kind_ == ReduceKind::max) {
      for (int64_t i = 0; i < out.numel(); ++i) y[i] = -std::numeric_limits<float>::infinity();
      broadcast_for_each(s, s, kept,
                         [&](int64_t i, int64_t, int64_t o) { y[o] = std::max(y[o], x[i]); });
    } else {
      broadcast_for_each(s, s, kept, [&](int64_t i, int64_t, int64_t o) { y[o] += x[i]; });
      if (kind_ == ReduceKind::mean && out.numel()) {
        const float count = static_cast<float>(in[0].numel() / out.numel());
        for (int64_t i = 0; i < out.numel(); ++i) y[i] /= count;
      }
    }
    return {out.reshaped(out_shape)};
  }

  Tensors vjp(const VjpArgs& a) const override {
    Shape kept, out_shape;
    shapes(a.input_types, kept, out_shape);
    const Shape& s = a.input_types[0].shape;
    const Tensor g = a.grad_outputs[0].reshaped(kept);
    const float* gp = g.f32();
    Tensor dx(s);
    float* d = dx.f32();
    if (kind_ == ReduceKind::max) {
      // As PyTorch's amax: the gradient is shared equally by all maxima of a reduction.
      const float* x = a.inputs[0].f32();
      const float* y = a.outputs[0].f32();
      Tensor count(kept);
      broadcast_for_each(s, s, kept, [&](int64_t i, int64_t, int64_t o) {
        if (x[i] == y[o]) count.f32()[o] += 1;
      });
      broadcast_for_each(s, s, kept, [&](int64_t i, int64_t, int64_t o) {
        if (x[i] == y[o]) d[i] = gp[o] / count.f32()[o];
      });
    } else {
      const float scale = kind_ == ReduceKind::mean && g.numel()
                              ? static_cast<float>(g.numel()) / static_cast<float>(dx.numel())
                              : 1.0f;
      broadcast_for_each(s, s, kept, [&](int64_t i, int64_t, int64_t o) { d[i] = gp[o] * scale; });
    }
    Tensors grads(a.input_types.size());
    grads[0] = dx;
    return grads;
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    Shape out;
    shapes(in, d.kept, out);
    d.kind = OpKind::reduce;
    d.reduce = kind_;
    return in[0].dtype == DType::f32;
  }

  bool vjp_uses_input(int index) const override { return kind_ == ReduceKind::max && index == 0; }
  bool vjp_uses_output(int) const override { return kind_ == ReduceKind::max; }

 private:
  ReduceKind kind_;
  bool from_input_;
  std::vector<int64_t> axes_;
  bool keepdims_, noop_;
};

}  // namespace

std::unique_ptr<Op> make_reduce(const OpBuildContext& ctx, ReduceKind kind, int axes_input_opset) {
  const bool from_input = ctx.opset >= axes_input_opset;
  const bool keepdims = ctx.attrs.get_int("keepdims", 1) != 0;
  const bool noop = from_input && ctx.attrs.get_int("noop_with_empty_axes", 0) != 0;
  std::vector<int64_t> axes = from_input ? std::vector<int64_t>{} : ctx.attrs.get_ints("axes");
  return std::make_unique<Reduce>(kind, from_input, axes, keepdims, noop);
}

}  // namespace heatlens
