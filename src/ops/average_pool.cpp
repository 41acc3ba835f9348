// AveragePool (1-D/2-D; pads, auto_pad, strides, ceil_mode, count_include_pad). The divisor
// follows PyTorch: with count_include_pad the window counts padding but not positions past the
// padded input (ceil_mode); without it, only positions inside the input.
#include <algorithm>

#include "ops/op_desc.h"
#include "ops/pool_common.h"

namespace heatlens {

namespace {

class AveragePool : public Op {
 public:
  AveragePool(SpatialAttrs s, bool ceil_mode, bool include_pad)
      : s_(std::move(s)), ceil_(ceil_mode), include_pad_(include_pad) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    return {{DType::f32, pooled_shape(in[0].shape, plan_pool(s_, in[0].shape, ceil_, *this)),
             Tensor()}};
  }

  // Calls visit(plane, out_index, y0, y1, x0, x1, divisor) for every output element.
  template <class F>
  void windows(int64_t planes, const WindowPlan& p, const ExecContext& ctx, F visit) const {
    ctx.parallel_for(planes, [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) {
        for (int64_t oy = 0; oy < p.out_h; ++oy) {
          int64_t y0 = oy * p.s_h - p.pad_top;
          int64_t y1 = std::min(y0 + p.k_h, p.in_h + p.pad_bottom);
          const int64_t span_h = y1 - y0;
          y0 = std::max<int64_t>(y0, 0);
          y1 = std::min(y1, p.in_h);
          for (int64_t ox = 0; ox < p.out_w; ++ox) {
            int64_t x0 = ox * p.s_w - p.pad_left;
            int64_t x1 = std::min(x0 + p.k_w, p.in_w + p.pad_right);
            const int64_t span_w = x1 - x0;
            x0 = std::max<int64_t>(x0, 0);
            x1 = std::min(x1, p.in_w);
            int64_t divisor = include_pad_ ? span_h * span_w : (y1 - y0) * (x1 - x0);
            visit(q, oy * p.out_w + ox, y0, y1, x0, x1, std::max<int64_t>(divisor, 1));
          }
        }
      }
    });
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    WindowPlan p = plan_pool(s_, in[0].shape(), ceil_, *this);
    Tensor out(pooled_shape(in[0].shape(), p));
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const float* x = in[0].f32();
    float* y = out.f32();
    windows(in[0].dim(0) * in[0].dim(1), p, ctx,
            [&](int64_t q, int64_t o, int64_t y0, int64_t y1, int64_t x0, int64_t x1, int64_t div) {
              const float* img = x + q * in_plane;
              float sum = 0;
              for (int64_t i = y0; i < y1; ++i) {
                for (int64_t j = x0; j < x1; ++j) sum += img[i * p.in_w + j];
              }
              y[q * out_plane + o] = sum / static_cast<float>(div);
            });
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    const Shape& xs = a.input_types[0].shape;
    WindowPlan p = plan_pool(s_, xs, ceil_, *this);
    Tensor dx(xs);
    const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
    const float* dy = a.grad_outputs[0].f32();
    float* d = dx.f32();
    windows(xs[0] * xs[1], p, a.ctx,
            [&](int64_t q, int64_t o, int64_t y0, int64_t y1, int64_t x0, int64_t x1, int64_t div) {
              const float g = dy[q * out_plane + o] / static_cast<float>(div);
              float* img = d + q * in_plane;
              for (int64_t i = y0; i < y1; ++i) {
                for (int64_t j = x0; j < x1; ++j) img[i * p.in_w + j] += g;
              }
            });
    return {dx};
  }

  bool vjp_uses_input(int) const override { return false; }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    if (in[0].shape.size() != 4) return false;
    d.kind = OpKind::average_pool;
    d.window = plan_pool(s_, in[0].shape, ceil_, *this);
    d.count_include_pad = include_pad_;
    return true;
  }

 private:
  SpatialAttrs s_;
  bool ceil_, include_pad_;
};

std::unique_ptr<Op> make_average_pool(const OpBuildContext& ctx) {
  SpatialAttrs s = SpatialAttrs::parse(ctx.attrs, ctx.opset >= 19);
  return std::make_unique<AveragePool>(std::move(s), ctx.attrs.get_int("ceil_mode", 0) != 0,
                                       ctx.attrs.get_int("count_include_pad", 0) != 0);
}

}  // namespace

void register_average_pool(OpRegistry& r) {
  r.add({"AveragePool", make_average_pool, LrpRole::proportional, true});
}

}  // namespace heatlens
