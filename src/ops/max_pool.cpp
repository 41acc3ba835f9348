// MaxPool (1-D/2-D; pads, auto_pad, strides, dilations, ceil_mode). The gradient goes to the
// first maximum of each window in scan order, as in PyTorch; padding never wins.
#include "core/error.h"
#include "kernels/pool.h"
#include "ops/op_desc.h"
#include "ops/pool_common.h"

namespace heatlens {

namespace {

class MaxPool : public Op {
 public:
  MaxPool(SpatialAttrs s, bool ceil_mode) : s_(std::move(s)), ceil_(ceil_mode) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    return {{DType::f32, pooled_shape(in[0].shape, plan_pool(s_, in[0].shape, ceil_, *this)),
             Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    WindowPlan p = plan_pool(s_, in[0].shape(), ceil_, *this);
    Tensor out = Tensor::uninitialized(pooled_shape(in[0].shape(), p));
    max_pool_planes(in[0].f32(), in[0].dim(0) * in[0].dim(1), p.geometry(1), out.f32(), &ctx);
    return {out};
  }

  // Each window's winner is found with its maximum and kept, so the backward only scatters dy.
  // It had found them again from x: SqueezeNet's three max-pool gradients in LRP took 1.04 ms at
  // 2 threads, 0.48 ms from the winners, which cost its recorded forward 0.26 ms.
  Tensors forward_recorded(const Tensors& in, const ExecContext& ctx,
                           Tensor& saved) const override {
    WindowPlan p = plan_pool(s_, in[0].shape(), ceil_, *this);
    const Shape out_shape = pooled_shape(in[0].shape(), p);
    Tensor out = Tensor::uninitialized(out_shape);
    saved = Tensor::uninitialized(out_shape, DType::i64);
    max_pool_planes_with_winners(in[0].f32(), in[0].dim(0) * in[0].dim(1), p.geometry(1), out.f32(),
                                 saved.i64(), &ctx);
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& xs = a.input_types[0].shape;
    WindowPlan p = plan_pool(s_, xs, ceil_, *this);
    Tensor dx = Tensor::uninitialized(xs);
    const float* dy = a.grad_outputs[0].f32();
    if (a.saved && a.saved->defined()) {
      HEATLENS_CHECK(
          a.saved->dtype() == DType::i64 && a.saved->numel() == a.grad_outputs[0].numel(),
          "MaxPool: the kept winners do not match the gradient");
      max_pool_backward_from_winners(a.saved->i64(), dy, xs[0] * xs[1], p.geometry(1), dx.f32(),
                                     &a.ctx);
      return {dx};
    }
    max_pool_backward_planes(a.inputs[0].f32(), dy, xs[0] * xs[1], p.geometry(1), dx.f32(), &a.ctx);
    return {dx};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    if (in[0].shape.size() != 4) return false;
    d.kind = OpKind::max_pool;
    d.window = plan_pool(s_, in[0].shape, ceil_, *this);
    return true;
  }

 private:
  SpatialAttrs s_;
  bool ceil_;
};

std::unique_ptr<Op> make_max_pool(const OpBuildContext& ctx) {
  if (ctx.num_outputs > 1) ctx.attrs.error("the Indices output is not supported");
  if (ctx.attrs.get_int("storage_order", 0) != 0)
    ctx.attrs.error("storage_order = 1 is not supported");
  SpatialAttrs s = SpatialAttrs::parse(ctx.attrs, ctx.opset >= 10);
  return std::make_unique<MaxPool>(std::move(s), ctx.attrs.get_int("ceil_mode", 0) != 0);
}

}  // namespace

void register_max_pool(OpRegistry& r) {
  r.add({"MaxPool", make_max_pool, LrpRole::winner_takes_all, true});
}

}  // namespace heatlens
