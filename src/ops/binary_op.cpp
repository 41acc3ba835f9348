#include "ops/binary_op.h"
#include "ops/op_desc.h"

#include <algorithm>

namespace heatlens {

namespace {

class BinaryOp : public Op {
 public:
  BinaryOp(BinaryFn f, BinaryIntFn fi, BinaryGradFn da, BinaryGradFn db, bool uses_inputs,
           bool uses_output, BinaryKind kind)
      : f_(f),
        fi_(fi),
        da_(da),
        db_(db),
        uses_inputs_(uses_inputs),
        uses_output_(uses_output),
        kind_(kind) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() != 2) error("expects two inputs");
    if (in[0].dtype != in[1].dtype) error("inputs have different dtypes");
    if (in[0].dtype == DType::i64 && !fi_) error("int64 inputs are not supported");
    return {{in[0].dtype, broadcast_shapes(in[0].shape, in[1].shape, *this), Tensor()}};
  }

  // A residual Add takes the Relu after it (ResNet's blocks): one pass instead of two.
  bool fuses_activation() const override { return kind_ == BinaryKind::add; }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    return forward_fused(in, ctx, Activation{});
  }

  Tensors forward_fused(const Tensors& in, const ExecContext& ctx,
                        const Activation& act) const override {
    Shape shape = broadcast_shapes(in[0].shape(), in[1].shape(), *this);
    if (in[0].dtype() == DType::i64) {
      // Integer arithmetic appears only in shape computations; it is folded at plan time.
      Tensor out(shape, DType::i64);
      const int64_t* a = in[0].i64();
      const int64_t* b = in[1].i64();
      int64_t* y = out.i64();
      broadcast_for_each(shape, in[0].shape(), in[1].shape(),
                         [&](int64_t o, int64_t i, int64_t j) { y[o] = fi_(a[i], b[j]); });
      return {out};
    }
    const float* a = in[0].f32();
    const float* b = in[1].f32();
    const int64_t a_block = broadcast_block(in[0].shape(), shape);
    const int64_t b_block = broadcast_block(in[1].shape(), shape);
    if (blockwise(a_block, b_block)) {
      Tensor out = Tensor::uninitialized(shape);
      binary_blocks(kind_, f_, a, a_block, b, b_block, out.f32(), out.numel(), &ctx, act);
      return {out};
    }
    Tensor out(shape);
    float* y = out.f32();
    broadcast_for_each(shape, in[0].shape(), in[1].shape(),
                       [&](int64_t o, int64_t i, int64_t j) { y[o] = f_(a[i], b[j]); });
    if (!act.none()) apply_bias_activation(y, out.numel(), 0.0f, act);
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& sa = a.input_types[0].shape;
    const Shape& sb = a.input_types[1].shape;
    Shape shape = broadcast_shapes(sa, sb, *this);
    const float* x = uses_inputs_ ? a.inputs[0].f32() : nullptr;
    const float* z = uses_inputs_ ? a.inputs[1].f32() : nullptr;
    const float* y = uses_output_ ? a.outputs[0].f32() : nullptr;
    const float* g = a.grad_outputs[0].f32();
    const int64_t a_block = broadcast_block(sa, shape), b_block = broadcast_block(sb, shape);
    if (blockwise(a_block, b_block))
      return vjp_blocks(a, x, z, y, g, shape_numel(shape), a_block, b_block);
    Tensor ga, gb;
    if (a.need[0]) ga = Tensor(shape);
    if (a.need[1]) gb = Tensor(shape);
    float* pa = a.need[0] ? ga.f32() : nullptr;
    float* pb = a.need[1] ? gb.f32() : nullptr;
    broadcast_for_each(shape, sa, sb, [&](int64_t o, int64_t i, int64_t j) {
      float xa = x ? x[i] : 0.0f, xb = z ? z[j] : 0.0f, yo = y ? y[o] : 0.0f;
      if (pa) pa[o] = da_(xa, xb, yo, g[o]);
      if (pb) pb[o] = db_(xa, xb, yo, g[o]);
    });
    Tensors grads(2);
    if (pa) grads[0] = sum_to_shape(ga, sa);
    if (pb) grads[1] = sum_to_shape(gb, sb);
    return grads;
  }

  // The gradients when one operand is full and the other constant over blocks of the output
  // (per-channel scales, scalars): block by block, summing the block operand's gradient.
  // Add and Mul (residual sums, SiLU's x·σ(x), squeeze-excitation scales) have vectorised
  // loops (binary_grad_blocks); the others call their gradients per element.
  Tensors vjp_blocks(const VjpArgs& a, const float* x, const float* z, const float* y,
                     const float* g, int64_t n, int64_t a_block, int64_t b_block) const {
    Tensors grads(2);
    float* pa = nullptr;
    float* pb = nullptr;
    if (a.need[0]) {
      grads[0] = Tensor::uninitialized(a.input_types[0].shape);
      pa = grads[0].f32();
    }
    if (a.need[1]) {
      grads[1] = Tensor::uninitialized(a.input_types[1].shape);
      pb = grads[1].f32();
    }
    if (kind_ == BinaryKind::add || kind_ == BinaryKind::mul) {
      const bool mul = kind_ == BinaryKind::mul;  // then d/da = g·b, d/db = g·a
      if (pa) binary_grad_blocks(g, mul ? z : nullptr, b_block, a_block, pa, n, &a.ctx);
      if (pb) binary_grad_blocks(g, mul ? x : nullptr, a_block, b_block, pb, n, &a.ctx);
      return grads;
    }
    const int64_t block = std::max(a_block, b_block);
    a.ctx.parallel_for(
        n / block,
        [&](int64_t q0, int64_t q1) {
          for (int64_t q = q0; q < q1; ++q) {
            double sum_a = 0, sum_b = 0;
            for (int64_t o = q * block; o < (q + 1) * block; ++o) {
              const int64_t i = a_block == 1 ? o : q, j = b_block == 1 ? o : q;
              const float xa = x ? x[i] : 0.0f, xb = z ? z[j] : 0.0f, yo = y ? y[o] : 0.0f;
              if (pa) {
                const float d = da_(xa, xb, yo, g[o]);
                if (a_block == 1)
                  pa[o] = d;
                else
                  sum_a += d;
              }
              if (pb) {
                const float d = db_(xa, xb, yo, g[o]);
                if (b_block == 1)
                  pb[o] = d;
                else
                  sum_b += d;
              }
            }
            if (pa && a_block != 1) pa[q] = static_cast<float>(sum_a);
            if (pb && b_block != 1) pb[q] = static_cast<float>(sum_b);
          }
        },
        std::max<int64_t>(1, 16384 / block));
    return grads;
  }

  bool vjp_uses_input(int) const override { return uses_inputs_; }
  bool vjp_uses_output(int) const override { return uses_output_; }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::binary;
    d.binary = kind_;
    return kind_ != BinaryKind::other && in[0].dtype == DType::f32 && in[1].dtype == DType::f32;
  }

 private:
  BinaryFn f_;
  BinaryIntFn fi_;
  BinaryGradFn da_, db_;
  bool uses_inputs_, uses_output_;
  BinaryKind kind_;
};

}  // namespace

std::unique_ptr<Op> make_binary(BinaryFn f, BinaryIntFn fi, BinaryGradFn da, BinaryGradFn db,
                                bool grad_uses_inputs, bool grad_uses_output, BinaryKind kind) {
  return std::make_unique<BinaryOp>(f, fi, da, db, grad_uses_inputs, grad_uses_output, kind);
}

}  // namespace heatlens
