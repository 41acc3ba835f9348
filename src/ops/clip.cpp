// Clip: y = min(max(x, min), max); bounds are attributes before opset 11 and optional
// constant inputs from 11 (ReLU6 exports as Clip(0, 6)). The gradient passes where
// min ≤ x ≤ max, bounds included, as in PyTorch's clamp.
#include <algorithm>
#include <limits>

#include "kernels/cpu_clones.h"
#include "ops/op_desc.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

// d[i] = g[i] where lo ≤ x[i] ≤ hi, else 0, for i in [b, e): both loads unconditional and the
// test a select, so the loop vectorises (with && and a conditional load it was a branch per
// element, mispredicted on real activations, and a third of MobileNetV2's gradient).
HEATLENS_CPU_CLONES void pass_inside(const float* __restrict x, const float* __restrict g, float lo,
                                     float hi, int64_t b, int64_t e, float* __restrict d) {
  for (int64_t i = b; i < e; ++i) {
    const float xi = x[i], gi = g[i];
    d[i] = ((xi >= lo) & (xi <= hi)) ? gi : 0.0f;
  }
}

class Clip : public Op {
 public:
  Clip(bool from_inputs, float lo, float hi) : from_inputs_(from_inputs), lo_(lo), hi_(hi) {}

  void bounds(const std::vector<ValueType>& in, float& lo, float& hi) const {
    lo = lo_;
    hi = hi_;
    if (!from_inputs_) return;
    if (in.size() > 1 && !in[1].omitted) lo = constant_input(in, 1, *this, "min").as_f32().f32()[0];
    if (in.size() > 2 && !in[2].omitted) hi = constant_input(in, 2, *this, "max").as_f32().f32()[0];
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    float lo, hi;
    bounds(in, lo, hi);
    return {{DType::f32, in[0].shape, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    float lo, hi;
    bounds(value_types(in), lo, hi);
    Tensor y = Tensor::uninitialized(in[0].shape());
    const float* x = in[0].f32();
    float* out = y.f32();
    ctx.parallel_for(
        y.numel(),
        [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) out[i] = std::min(std::max(x[i], lo), hi);
        },
        16384);
    return {y};
  }

  bool as_activation(const std::vector<ValueType>& in, Activation& act) const override {
    float lo, hi;
    bounds(in, lo, hi);
    act = Activation::clip(lo, hi);
    return true;
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::unary;
    d.unary = UnaryKind::clip;
    bounds(in, d.alpha, d.beta);
    return true;
  }

  Tensors vjp(const VjpArgs& a) const override {
    float lo, hi;
    bounds(a.input_types, lo, hi);
    Tensor dx = Tensor::uninitialized(a.input_types[0].shape);
    const float* x = a.inputs[0].f32();
    const float* g = a.grad_outputs[0].f32();
    float* d = dx.f32();
    a.ctx.parallel_for(
        dx.numel(), [=](int64_t b, int64_t e) { pass_inside(x, g, lo, hi, b, e, d); }, 16384);
    Tensors grads(a.input_types.size());
    grads[0] = dx;
    return grads;
  }

  bool vjp_uses_input(int index) const override { return index == 0; }

 private:
  bool from_inputs_;
  float lo_, hi_;
};

std::unique_ptr<Op> make_clip(const OpBuildContext& ctx) {
  if (ctx.opset >= 11) {
    return std::make_unique<Clip>(true, -std::numeric_limits<float>::infinity(),
                                  std::numeric_limits<float>::infinity());
  }
  return std::make_unique<Clip>(false,
                                ctx.attrs.get_float("min", std::numeric_limits<float>::lowest()),
                                ctx.attrs.get_float("max", std::numeric_limits<float>::max()));
}

}  // namespace

void register_clip(OpRegistry& r) {
  r.add({"Clip", make_clip, LrpRole::pass_through, true});
}

}  // namespace heatlens
