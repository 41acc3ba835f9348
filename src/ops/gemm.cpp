// Gemm: Y = alpha·op(A)·op(B) + beta·C, op = optional transpose, C broadcast to Y (optional
// from opset 11). The fully connected layer of exported classifiers.
#include "kernels/gemm.h"
#include "ops/op_desc.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

class Gemm : public Op {
 public:
  Gemm(float alpha, float beta, bool ta, bool tb) : alpha_(alpha), beta_(beta), ta_(ta), tb_(tb) {}

  void dims(const Shape& a, const Shape& b, int64_t& m, int64_t& n, int64_t& k) const {
    if (a.size() != 2 || b.size() != 2)
      error("A and B must be 2-D, got " + shape_str(a) + " and " + shape_str(b));
    m = ta_ ? a[1] : a[0];
    k = ta_ ? a[0] : a[1];
    int64_t kb = tb_ ? b[1] : b[0];
    n = tb_ ? b[0] : b[1];
    if (k != kb) error("inner dimensions differ: A " + shape_str(a) + ", B " + shape_str(b));
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() < 2) error("expects A and B");
    require_f32(in[0], *this, "A");
    require_f32(in[1], *this, "B");
    int64_t m, n, k;
    dims(in[0].shape, in[1].shape, m, n, k);
    if (in.size() > 2 && broadcast_shapes({m, n}, in[2].shape, *this) != Shape{m, n}) {
      error("C of shape " + shape_str(in[2].shape) + " does not broadcast to the output");
    }
    return {{DType::f32, {m, n}, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    int64_t m, n, k;
    dims(in[0].shape(), in[1].shape(), m, n, k);
    Tensor y({m, n});
    float beta = 0.0f;
    if (in.size() > 2 && in[2].defined() && beta_ != 0.0f) {
      const float* c = in[2].f32();
      float* yp = y.f32();
      broadcast_for_each({m, n}, {m, n}, in[2].shape(),
                         [&](int64_t o, int64_t, int64_t j) { yp[o] = c[j]; });
      beta = beta_;
    }
    f32_gemm(ta_, tb_, m, n, k, alpha_, in[0].f32(), in[0].dim(1), in[1].f32(), in[1].dim(1), beta,
             y.f32(), n, &ctx);
    return {y};
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& sa = a.input_types[0].shape;
    const Shape& sb = a.input_types[1].shape;
    int64_t m, n, k;
    dims(sa, sb, m, n, k);
    const float* dy = a.grad_outputs[0].f32();
    Tensors g(a.input_types.size());
    if (a.need[0]) {
      Tensor da(sa);
      const float* b = a.inputs[1].f32();
      if (!ta_)
        f32_gemm(false, !tb_, m, k, n, alpha_, dy, n, b, sb[1], 0.0f, da.f32(), k, &a.ctx);
      else
        f32_gemm(tb_, true, k, m, n, alpha_, b, sb[1], dy, n, 0.0f, da.f32(), m, &a.ctx);
      g[0] = da;
    }
    if (a.need[1]) {
      Tensor db(sb);
      const float* av = a.inputs[0].f32();
      if (!tb_)
        f32_gemm(!ta_, false, k, n, m, alpha_, av, sa[1], dy, n, 0.0f, db.f32(), n, &a.ctx);
      else
        f32_gemm(true, ta_, n, k, m, alpha_, dy, n, av, sa[1], 0.0f, db.f32(), k, &a.ctx);
      g[1] = db;
    }
    if (a.input_types.size() > 2 && a.need[2]) {
      Tensor dc = sum_to_shape(a.grad_outputs[0], a.input_types[2].shape).clone();
      for (int64_t i = 0; i < dc.numel(); ++i) dc.f32()[i] *= beta_;
      g[2] = dc;
    }
    return g;
  }

  // A serves only B's gradient and B only A's; C's gradient needs neither.
  bool vjp_uses_input(int index) const override { return index < 2; }
  bool vjp_uses_input(int index, const std::vector<bool>& need) const override {
    return index < 2 && need.size() > 1 && need[1 - index];
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::gemm;
    d.trans_a = ta_;
    d.trans_b = tb_;
    d.alpha = alpha_;
    d.beta = in.size() > 2 && !in[2].omitted ? beta_ : 0.0f;
    return true;
  }

 private:
  float alpha_, beta_;
  bool ta_, tb_;
};

std::unique_ptr<Op> make_gemm(const OpBuildContext& ctx) {
  if (ctx.opset < 11 && ctx.num_inputs < 3) ctx.attrs.error("C is required before opset 11");
  return std::make_unique<Gemm>(
      ctx.attrs.get_float("alpha", 1.0f), ctx.attrs.get_float("beta", 1.0f),
      ctx.attrs.get_int("transA", 0) != 0, ctx.attrs.get_int("transB", 0) != 0);
}

}  // namespace

void register_gemm(OpRegistry& r) {
  r.add({"Gemm", make_gemm, LrpRole::linear, true});
}

}  // namespace heatlens
