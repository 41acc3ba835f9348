// InstanceNormalization: y = scale·(x − μ)/√(σ² + ε) + B, with μ, σ² over the spatial
// positions of each (N, C) plane.
#include <cmath>
#include <vector>

#include "ops/op_util.h"

namespace heatlens {

namespace {

class InstanceNormalization : public Op {
 public:
  explicit InstanceNormalization(float epsilon) : epsilon_(epsilon) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    if (in.size() != 3) error("expects input, scale and B");
    require_f32(in[0], *this, "input");
    const Shape& x = in[0].shape;
    if (x.size() < 3) error("input must be (N, C, spatial...), got " + shape_str(x));
    if (in[1].shape != Shape{x[1]} || in[2].shape != Shape{x[1]})
      error("scale and B must have one value per channel");
    return {{DType::f32, x, Tensor()}};
  }

  // Per plane: mean and 1/σ.
  void moments(const Tensor& x, std::vector<double>& mean, std::vector<double>& inv_std) const {
    const int64_t planes = x.dim(0) * x.dim(1), size = x.numel() / planes;
    mean.assign(planes, 0);
    inv_std.assign(planes, 0);
    for (int64_t q = 0; q < planes; ++q) {
      const float* p = x.f32() + q * size;
      double m = 0, v = 0;
      for (int64_t i = 0; i < size; ++i) m += p[i];
      m /= size;
      for (int64_t i = 0; i < size; ++i) v += (p[i] - m) * (p[i] - m);
      v /= size;
      mean[q] = m;
      inv_std[q] = 1.0 / std::sqrt(v + epsilon_);
    }
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    const Tensor& x = in[0];
    std::vector<double> mean, inv_std;
    moments(x, mean, inv_std);
    Tensor y(x.shape());
    const int64_t c = x.dim(1), planes = x.dim(0) * c, size = x.numel() / planes;
    for (int64_t q = 0; q < planes; ++q) {
      const double s = in[1].f32()[q % c] * inv_std[q], b = in[2].f32()[q % c];
      for (int64_t i = 0; i < size; ++i) {
        y.f32()[q * size + i] = static_cast<float>((x.f32()[q * size + i] - mean[q]) * s + b);
      }
    }
    return {y};
  }

  Tensors vjp(const VjpArgs& v) const override {
    if (v.need[1] || v.need[2]) error("gradients for scale and B are not supported");
    const Tensor& x = v.inputs[0];
    std::vector<double> mean, inv_std;
    moments(x, mean, inv_std);
    Tensor dx(x.shape());
    const int64_t c = x.dim(1), planes = x.dim(0) * c, size = x.numel() / planes;
    for (int64_t q = 0; q < planes; ++q) {
      const float* g = v.grad_outputs[0].f32() + q * size;
      const float* p = x.f32() + q * size;
      double sum_g = 0, sum_gx = 0;
      for (int64_t i = 0; i < size; ++i) {
        const double xh = (p[i] - mean[q]) * inv_std[q];
        sum_g += g[i];
        sum_gx += g[i] * xh;
      }
      const double s = v.inputs[1].f32()[q % c] * inv_std[q];
      for (int64_t i = 0; i < size; ++i) {
        const double xh = (p[i] - mean[q]) * inv_std[q];
        dx.f32()[q * size + i] = static_cast<float>(s * (g[i] - sum_g / size - xh * sum_gx / size));
      }
    }
    return {dx};
  }

 private:
  float epsilon_;
};

std::unique_ptr<Op> make_instance_normalization(const OpBuildContext& ctx) {
  return std::make_unique<InstanceNormalization>(ctx.attrs.get_float("epsilon", 1e-5f));
}

}  // namespace

void register_instance_normalization(OpRegistry& r) {
  r.add({"InstanceNormalization", make_instance_normalization, LrpRole::unsupported, true});
}

}  // namespace heatlens
