#include "ops/softmax_common.h"

#include <algorithm>
#include <cmath>

namespace heatlens {

SoftmaxLayout softmax_layout(const Shape& shape, int64_t axis_attr, bool coerce_2d, const Op& op) {
  const int rank = static_cast<int>(shape.size());
  const int axis = normalize_axis(axis_attr, rank, op);
  SoftmaxLayout l;
  for (int i = 0; i < axis; ++i) l.outer *= shape[i];
  if (coerce_2d) {
    for (int i = axis; i < rank; ++i) l.axis *= shape[i];
  } else {
    l.axis = rank ? shape[axis] : 1;
    for (int i = axis + 1; i < rank; ++i) l.inner *= shape[i];
  }
  return l;
}

namespace {

class SoftmaxFamily : public Op {
 public:
  SoftmaxFamily(int64_t axis, bool coerce_2d, bool log)
      : axis_(axis), coerce_2d_(coerce_2d), log_(log) {}

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
        const double log_sum = std::log(sum);
        for (int64_t a = 0; a < l.axis; ++a) {
          const double shifted = x[a * l.inner] - mx;
          y[a * l.inner] = static_cast<float>(log_ ? shifted - log_sum : std::exp(shifted) / sum);
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
        for (int64_t a = 0; a < l.axis; ++a)
          s += log_ ? g[a * l.inner] : g[a * l.inner] * y[a * l.inner];
        for (int64_t a = 0; a < l.axis; ++a) {
          const int64_t k = a * l.inner;
          d[k] = log_ ? g[k] - std::exp(y[k]) * static_cast<float>(s)
                      : y[k] * (g[k] - static_cast<float>(s));
        }
      }
    }
    return {dx};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    const SoftmaxLayout l = softmax_layout(in[0].shape, axis_, coerce_2d_, *this);
    d.kind = OpKind::softmax;
    d.outer = l.outer;
    d.extent = l.axis;
    d.inner = l.inner;
    d.log = log_;
    return in[0].dtype == DType::f32;
  }

  bool vjp_uses_input(int) const override { return false; }
  bool vjp_uses_output(int) const override { return true; }

 private:
  int64_t axis_;
  bool coerce_2d_, log_;
};

}  // namespace

std::unique_ptr<Op> make_softmax_family(const OpBuildContext& ctx, bool log) {
  const bool coerce = ctx.opset < 13;
  return std::make_unique<SoftmaxFamily>(ctx.attrs.get_int("axis", coerce ? 1 : -1), coerce, log);
}

}  // namespace heatlens
