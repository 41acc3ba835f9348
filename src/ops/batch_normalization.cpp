// BatchNormalization in inference mode: y = (x − mean)/√(var + ε)·scale + bias per channel.
// Training mode is refused. For LRP the canonizer folds it into the adjacent linear layer.
#include <cmath>

#include "ops/op_desc.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

class BatchNormalization : public Op {
 public:
  explicit BatchNormalization(float epsilon) : epsilon_(epsilon) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() != 5) error("expects X, scale, B, mean and var");
    require_f32(in[0], *this, "X");
    const Shape& x = in[0].shape;
    if (x.size() < 2) error("X must have a channel dimension, got " + shape_str(x));
    for (size_t i = 1; i < 5; ++i) {
      if (in[i].shape != Shape{x[1]}) {
        error("parameter " + std::to_string(i) + " has shape " + shape_str(in[i].shape) +
              ", expected [" + std::to_string(x[1]) + "]");
      }
    }
    return {{DType::f32, x, Tensor()}};
  }

  // Per-channel multiplier and offset: y = x·a + b.
  void affine(const Tensors& in, std::vector<float>& a, std::vector<float>& b) const {
    const int64_t c = in[1].numel();
    a.resize(c);
    b.resize(c);
    for (int64_t i = 0; i < c; ++i) {
      a[i] = in[1].f32()[i] / std::sqrt(in[4].f32()[i] + epsilon_);
      b[i] = in[2].f32()[i] - in[3].f32()[i] * a[i];
    }
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    std::vector<float> a, b;
    affine(in, a, b);
    const Tensor& x = in[0];
    Tensor y(x.shape());
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / std::max<int64_t>(n * c, 1);
    for (int64_t i = 0; i < n * c; ++i) {
      const float ai = a[i % c], bi = b[i % c];
      const float* src = x.f32() + i * plane;
      float* dst = y.f32() + i * plane;
      for (int64_t j = 0; j < plane; ++j) dst[j] = src[j] * ai + bi;
    }
    return {y};
  }

  Tensors vjp(const VjpArgs& v) const override {
    for (size_t i = 1; i < v.need.size(); ++i) {
      if (v.need[i]) error("gradients for the normalization parameters are not supported");
    }
    std::vector<float> a, b;
    affine(v.inputs, a, b);
    const Shape& xs = v.input_types[0].shape;
    Tensor dx(xs);
    const int64_t n = xs[0], c = xs[1], plane = dx.numel() / std::max<int64_t>(n * c, 1);
    for (int64_t i = 0; i < n * c; ++i) {
      const float* g = v.grad_outputs[0].f32() + i * plane;
      float* d = dx.f32() + i * plane;
      for (int64_t j = 0; j < plane; ++j) d[j] = g[j] * a[i % c];
    }
    return {dx};
  }

  bool vjp_uses_input(int index) const override { return index > 0; }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::batch_norm;
    d.epsilon = epsilon_;
    return in[0].shape.size() >= 2;
  }

 private:
  float epsilon_;
};

std::unique_ptr<Op> make_batch_normalization(const OpBuildContext& ctx) {
  if (ctx.opset < 9 && ctx.attrs.get_int("spatial", 1) != 1)
    ctx.attrs.error("spatial = 0 is not supported");
  if (ctx.attrs.get_int("training_mode", 0) != 0 || ctx.num_outputs > 1) {
    ctx.attrs.error("training mode is not supported (export the model in eval mode)");
  }
  ctx.attrs.get_float("momentum", 0.9f);  // only used in training
  return std::make_unique<BatchNormalization>(ctx.attrs.get_float("epsilon", 1e-5f));
}

}  // namespace

void register_batch_normalization(OpRegistry& r) {
  r.add({"BatchNormalization", make_batch_normalization, LrpRole::normalization, true});
}

}  // namespace heatlens
