// MaxPool (1-D/2-D; pads, auto_pad, strides, dilations, ceil_mode). The gradient goes to the
// first maximum of each window in scan order, as in PyTorch; padding never wins.
#include <limits>

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

  // Calls visit(plane, out_index, argmax_index) for every output element.
  template <class F>
  void scan(const Tensor& x, const WindowPlan& p, const ExecContext& ctx, F visit) const {
    const int64_t planes = x.dim(0) * x.dim(1), in_plane = p.in_h * p.in_w;
    const float* src = x.f32();
    ctx.parallel_for(planes, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) {
        const float* img = src + q * in_plane;
        for (int64_t oy = 0; oy < p.out_h; ++oy) {
          for (int64_t ox = 0; ox < p.out_w; ++ox) {
            int64_t best = -1;
            float best_v = -std::numeric_limits<float>::infinity();
            for (int64_t i = 0; i < p.k_h; ++i) {
              const int64_t y = oy * p.s_h - p.pad_top + i * p.d_h;
              if (y < 0 || y >= p.in_h) continue;
              for (int64_t j = 0; j < p.k_w; ++j) {
                const int64_t xx = ox * p.s_w - p.pad_left + j * p.d_w;
                if (xx < 0 || xx >= p.in_w) continue;
                const float v = img[y * p.in_w + xx];
                if (best < 0 || v > best_v || v != v) {
                  best = y * p.in_w + xx;
                  best_v = v;
                }
              }
            }
            visit(q, oy * p.out_w + ox, best);
          }
        }
      }
    });
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    WindowPlan p = plan_pool(s_, in[0].shape(), ceil_, *this);
    Tensor out = Tensor::uninitialized(pooled_shape(in[0].shape(), p));
    max_pool_planes(in[0].f32(), in[0].dim(0) * in[0].dim(1), p.geometry(1), out.f32(), &ctx);
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    WindowPlan p = plan_pool(s_, a.input_types[0].shape, ceil_, *this);
    Tensor dx(a.input_types[0].shape);
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const float* dy = a.grad_outputs[0].f32();
    float* d = dx.f32();
    // Planes are independent, so the parallel scan never writes the same element twice.
    scan(a.inputs[0], p, a.ctx, [&](int64_t q, int64_t o, int64_t best) {
      if (best >= 0) d[q * in_plane + best] += dy[q * out_plane + o];
    });
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
