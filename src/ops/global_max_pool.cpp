// GlobalMaxPool: maximum over all spatial positions of each (N, C) plane; the gradient goes to
// the first maximum, as PyTorch's adaptive_max_pool (indices) does.
#include "ops/global_pool.h"

namespace heatlens {

namespace {

class GlobalMaxPool : public Op {
 public:
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    return {{DType::f32, global_pooled_shape(in[0].shape, *this), Tensor()}};
  }

  static int64_t argmax(const float* p, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i) {
      if (p[i] > p[best]) best = i;
    }
    return best;
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    Tensor out(global_pooled_shape(in[0].shape(), *this));
    const int64_t planes = out.numel(), size = in[0].numel() / std::max<int64_t>(planes, 1);
    for (int64_t q = 0; q < planes; ++q) {
      const float* p = in[0].f32() + q * size;
      out.f32()[q] = p[argmax(p, size)];
    }
    return {out};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::reduce;
    d.reduce = ReduceKind::max;
    d.kept = global_pooled_shape(in[0].shape, *this);
    d.first_max = true;
    return in[0].dtype == DType::f32;
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensor dx(a.input_types[0].shape);
    const int64_t planes = a.grad_outputs[0].numel(),
                  size = dx.numel() / std::max<int64_t>(planes, 1);
    for (int64_t q = 0; q < planes; ++q) {
      dx.f32()[q * size + argmax(a.inputs[0].f32() + q * size, size)] = a.grad_outputs[0].f32()[q];
    }
    return {dx};
  }
};

std::unique_ptr<Op> make_global_max_pool(const OpBuildContext&) {
  return std::make_unique<GlobalMaxPool>();
}

}  // namespace

void register_global_max_pool(OpRegistry& r) {
  r.add({"GlobalMaxPool", make_global_max_pool, LrpRole::winner_takes_all, true});
}

}  // namespace heatlens
