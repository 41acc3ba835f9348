// LogSoftmax: y = x − log Σ exp(x) along an axis (max-subtracted). VJP: dy − exp(y)·Σ dy.
// A final LogSoftmax in a classifier is recognised by the explainers, which start from the logits.
#include <algorithm>
#include <cmath>

#include "ops/softmax_common.h"

namespace heatlens {

namespace {

class LogSoftmax : public Op {
 public:
  LogSoftmax(int64_t axis, bool coerce_2d) : axis_(axis), coerce_2d_(coerce_2d) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    softmax_layout(in[0].shape, axis_, coerce_2d_, *this);
    return {{DType::f32, in[0].shape, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    SoftmaxLayout l = softmax_layout(in[0].shape(), axis_, coerce_2d_, *this);
    Tensor out(in[0].shape());
    for (int64_t o = 0; o < l.outer; ++o) {
      for (int64_t i = 0; i < l.inner; ++i) {
        const float* x = in[0].f32() + o * l.axis * l.inner + i;
        float* y = out.f32() + o * l.axis * l.inner + i;
        float mx = x[0];
        for (int64_t a = 1; a < l.axis; ++a) mx = std::max(mx, x[a * l.inner]);
        double sum = 0;
        for (int64_t a = 0; a < l.axis; ++a)
          sum += std::exp(static_cast<double>(x[a * l.inner] - mx));
        for (int64_t a = 0; a < l.axis; ++a) {
          const float v = x[a * l.inner];
          y[a * l.inner] = v - mx - static_cast<float>(std::log(sum));
        }
      }
    }
    return {out};
  }

  Tensors vjp(const VjpArgs& v) const override {
    SoftmaxLayout l = softmax_layout(v.input_types[0].shape, axis_, coerce_2d_, *this);
    Tensor dx(v.input_types[0].shape);
    for (int64_t o = 0; o < l.outer; ++o) {
      for (int64_t i = 0; i < l.inner; ++i) {
        const int64_t base = o * l.axis * l.inner + i;
        const float* y = v.outputs[0].f32() + base;
        const float* g = v.grad_outputs[0].f32() + base;
        float* d = dx.f32() + base;
        double s = 0;
        for (int64_t a = 0; a < l.axis; ++a) {
          const int64_t k = a * l.inner;
          s += g[k];
        }
        for (int64_t a = 0; a < l.axis; ++a) {
          const int64_t k = a * l.inner;
          d[k] = g[k] - std::exp(y[k]) * static_cast<float>(s);
        }
      }
    }
    return {dx};
  }

  bool vjp_uses_input(int) const override { return false; }
  bool vjp_uses_output(int) const override { return true; }

 private:
  int64_t axis_;
  bool coerce_2d_;
};

std::unique_ptr<Op> make_log_softmax(const OpBuildContext& ctx) {
  const bool coerce = ctx.opset < 13;
  return std::make_unique<LogSoftmax>(ctx.attrs.get_int("axis", coerce ? 1 : -1), coerce);
}

}  // namespace

void register_log_softmax(OpRegistry& r) {
  r.add({"LogSoftmax", make_log_softmax, LrpRole::unsupported, true});
}

}  // namespace heatlens
