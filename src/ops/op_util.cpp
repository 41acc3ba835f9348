#include "ops/op_util.h"

#include <algorithm>

#include "core/error.h"
#include "kernels/elementwise.h"

namespace heatlens {

int normalize_axis(int64_t axis, int rank, const Op& op) {
  if (axis < -rank || axis >= std::max(rank, 1)) {
    op.error("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

std::vector<int64_t> row_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const Op& op) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      op.error("cannot broadcast shapes " + shape_str(a) + " and " + shape_str(b));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// Strides of `in` aligned to the broadcast shape `out` (0 along broadcast dimensions).
std::vector<int64_t> aligned_strides(const Shape& out, const Shape& in) {
  std::vector<int64_t> s(out.size(), 0);
  std::vector<int64_t> own = row_strides(in);
  size_t offset = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) s[offset + i] = in[i] == 1 ? 0 : own[i];
  return s;
}

}  // namespace

void broadcast_for_each(const Shape& out, const Shape& a, const Shape& b,
                        const std::function<void(int64_t, int64_t, int64_t)>& fn) {
  const int64_t n = shape_numel(out);
  if (a == out && b == out) {
    for (int64_t i = 0; i < n; ++i) fn(i, i, i);
    return;
  }
  const std::vector<int64_t> sa = aligned_strides(out, a), sb = aligned_strides(out, b);
  const size_t rank = out.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < n; ++o) {
    fn(o, ia, ib);
    for (size_t d = rank; d-- > 0;) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

Tensor sum_to_shape(const Tensor& grad, const Shape& target) {
  if (grad.shape() == target) return grad;
  Tensor out(target);
  float* o = out.f32();
  const float* g = grad.f32();
  broadcast_for_each(grad.shape(), grad.shape(), target,
                     [&](int64_t i, int64_t, int64_t t) { o[t] += g[i]; });
  return out;
}

void require_f32(const ValueType& t, const Op& op, const char* what) {
  if (t.dtype != DType::f32)
    op.error(std::string(what) + " must be float32, got " + dtype_name(t.dtype));
}

namespace {

class UnaryOp : public Op {
 public:
  UnaryOp(UnaryFn f, UnaryGradFn df, float alpha, float beta, bool uses_output, Activation same_as,
          UnaryKind kind)
      : f_(f),
        df_(df),
        alpha_(alpha),
        beta_(beta),
        uses_output_(uses_output),
        same_as_(same_as),
        kind_(kind) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    return {{DType::f32, in[0].shape, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    Tensor out = Tensor::uninitialized(in[0].shape());
    const float* x = in[0].f32();
    float* y = out.f32();
    if (!same_as_.none()) {
      apply_activation(x, out.numel(), same_as_, y, &ctx);
      return {out};
    }
    ctx.parallel_for(
        out.numel(),
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) y[i] = f_(x[i], alpha_, beta_);
        },
        16384);
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensor gx = Tensor::uninitialized(a.input_types[0].shape);
    const float* x = uses_output_ ? nullptr : a.inputs[0].f32();
    const float* y = uses_output_ ? a.outputs[0].f32() : nullptr;
    const float* g = a.grad_outputs[0].f32();
    float* d = gx.f32();
    // Relu, Sigmoid and Tanh have vectorised loops; the others call df_ per element.
    if (unary_grad(kind_, uses_output_ ? y : x, g, d, gx.numel(), &a.ctx)) return {gx};
    a.ctx.parallel_for(
        gx.numel(),
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) {
            d[i] = df_(x ? x[i] : 0.0f, y ? y[i] : 0.0f, g[i], alpha_, beta_);
          }
        },
        16384);
    return {gx};
  }

  bool vjp_uses_input(int) const override { return !uses_output_; }
  bool vjp_uses_output(int) const override { return uses_output_; }

  bool as_activation(const std::vector<ValueType>&, Activation& act) const override {
    act = same_as_;
    return !same_as_.none();
  }

  bool describe(const std::vector<ValueType>&, OpDesc& d) const override {
    d.kind = OpKind::unary;
    d.unary = kind_;
    d.alpha = alpha_;
    d.beta = beta_;
    return kind_ != UnaryKind::none;
  }

 private:
  UnaryFn f_;
  UnaryGradFn df_;
  float alpha_, beta_;
  bool uses_output_;
  Activation same_as_;
  UnaryKind kind_;
};

}  // namespace

std::unique_ptr<Op> make_unary(UnaryFn f, UnaryGradFn df, float alpha, float beta,
                               bool grad_uses_output, Activation same_as, UnaryKind kind) {
  return std::make_unique<UnaryOp>(f, df, alpha, beta, grad_uses_output, same_as, kind);
}

std::vector<ValueType> value_types(const Tensors& in) {
  std::vector<ValueType> types;
  for (const Tensor& t : in) {
    ValueType v{t.defined() ? t.dtype() : DType::f32, t.defined() ? t.shape() : Shape{}, t};
    v.omitted = !t.defined();
    types.push_back(v);
  }
  return types;
}

const Tensor& constant_input(const std::vector<ValueType>& inputs, size_t index, const Op& op,
                             const char* what) {
  if (index >= inputs.size()) op.error(std::string("missing input: ") + what);
  if (!inputs[index].constant.defined()) {
    op.error(std::string(what) +
             " must be a constant (computed from shapes or initializers), "
             "but depends on the model's input data");
  }
  return inputs[index].constant;
}

std::vector<int64_t> constant_ints(const std::vector<ValueType>& inputs, size_t index, const Op& op,
                                   const char* what) {
  const Tensor& t = constant_input(inputs, index, op, what);
  if (t.dtype() == DType::i64) return t.to_i64_vector();
  std::vector<int64_t> out;
  for (float v : t.to_f32_vector()) out.push_back(static_cast<int64_t>(v));
  return out;
}

}  // namespace heatlens
