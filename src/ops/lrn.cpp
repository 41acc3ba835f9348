// LRN (local response normalization across channels, as in AlexNet/GoogLeNet):
// y_c = x_c / (bias + α/size · Σ_{c' ∈ window(c)} x_{c'}²)^β.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/op_util.h"

namespace heatlens {

namespace {

class Lrn : public Op {
 public:
  Lrn(float alpha, float beta, float bias, int64_t size)
      : alpha_(alpha), beta_(beta), bias_(bias), size_(size) {}

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    if (in[0].shape.size() < 3) error("input must be (N, C, spatial...)");
    return {{DType::f32, in[0].shape, Tensor()}};
  }

  // d[c] = bias + α/size·Σ x², for every element.
  Tensor denominators(const Tensor& x) const {
    Tensor d(x.shape());
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / (n * c);
    const int64_t lo = (size_ - 1) / 2, hi = size_ - 1 - lo;
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        float* dst = d.f32() + (b * c + ch) * plane;
        for (int64_t k = std::max<int64_t>(0, ch - lo); k <= std::min(c - 1, ch + hi); ++k) {
          const float* src = x.f32() + (b * c + k) * plane;
          for (int64_t i = 0; i < plane; ++i) dst[i] += src[i] * src[i];
        }
        for (int64_t i = 0; i < plane; ++i) dst[i] = bias_ + alpha_ / size_ * dst[i];
      }
    }
    return d;
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    Tensor d = denominators(in[0]);
    Tensor y(in[0].shape());
    for (int64_t i = 0; i < y.numel(); ++i)
      y.f32()[i] = in[0].f32()[i] / std::pow(d.f32()[i], beta_);
    return {y};
  }

  Tensors vjp(const VjpArgs& v) const override {
    const Tensor& x = v.inputs[0];
    const Tensor& g = v.grad_outputs[0];
    Tensor d = denominators(x);
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / (n * c);
    const int64_t lo = (size_ - 1) / 2, hi = size_ - 1 - lo;
    // t_j = g_j·x_j·d_j^(−β−1); dx_i = g_i·d_i^(−β) − 2αβ/size·x_i·Σ_{j: i ∈ window(j)} t_j.
    Tensor t(x.shape());
    for (int64_t i = 0; i < t.numel(); ++i) {
      t.f32()[i] = g.f32()[i] * x.f32()[i] * std::pow(d.f32()[i], -beta_ - 1.0f);
    }
    Tensor dx(x.shape());
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        const int64_t base = (b * c + ch) * plane;
        std::vector<float> acc(static_cast<size_t>(plane), 0.0f);
        // Channel ch lies in the window of channels j with j − lo ≤ ch ≤ j + hi.
        for (int64_t j = std::max<int64_t>(0, ch - hi); j <= std::min(c - 1, ch + lo); ++j) {
          const float* tj = t.f32() + (b * c + j) * plane;
          for (int64_t i = 0; i < plane; ++i) acc[i] += tj[i];
        }
        for (int64_t i = 0; i < plane; ++i) {
          dx.f32()[base + i] = g.f32()[base + i] * std::pow(d.f32()[base + i], -beta_) -
                               2.0f * alpha_ * beta_ / size_ * x.f32()[base + i] * acc[i];
        }
      }
    }
    return {dx};
  }

 private:
  float alpha_, beta_, bias_;
  int64_t size_;
};

std::unique_ptr<Op> make_lrn(const OpBuildContext& ctx) {
  int64_t size = ctx.attrs.require_int("size");
  if (size < 1) ctx.attrs.error("size must be positive");
  return std::make_unique<Lrn>(ctx.attrs.get_float("alpha", 1e-4f),
                               ctx.attrs.get_float("beta", 0.75f),
                               ctx.attrs.get_float("bias", 1.0f), size);
}

}  // namespace

void register_lrn(OpRegistry& r) {
  r.add({"LRN", make_lrn, LrpRole::pass_through, true});
}

}  // namespace heatlens
