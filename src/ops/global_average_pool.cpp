// GlobalAveragePool: mean over all spatial positions of each (N, C) plane. In LRP it
// redistributes relevance in proportion to each position's contribution.
#include "ops/global_pool.h"
#include "ops/op_desc.h"

namespace heatlens {

namespace {

class GlobalAveragePool : public Op {
 public:
  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "input");
    return {{DType::f32, global_pooled_shape(in[0].shape, *this), Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    Tensor out(global_pooled_shape(in[0].shape(), *this));
    const int64_t planes = out.numel(), size = in[0].numel() / std::max<int64_t>(planes, 1);
    const float* x = in[0].f32();
    for (int64_t q = 0; q < planes; ++q) {
      double sum = 0;
      for (int64_t i = 0; i < size; ++i) sum += x[q * size + i];
      out.f32()[q] = static_cast<float>(sum / static_cast<double>(size));
    }
    return {out};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::global_average_pool;
    return in[0].shape.size() == 4;
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensor dx(a.input_types[0].shape);
    const int64_t planes = a.grad_outputs[0].numel(),
                  size = dx.numel() / std::max<int64_t>(planes, 1);
    for (int64_t q = 0; q < planes; ++q) {
      const float g = a.grad_outputs[0].f32()[q] / static_cast<float>(size);
      for (int64_t i = 0; i < size; ++i) dx.f32()[q * size + i] = g;
    }
    return {dx};
  }

  bool vjp_uses_input(int) const override { return false; }
};

std::unique_ptr<Op> make_global_average_pool(const OpBuildContext&) {
  return std::make_unique<GlobalAveragePool>();
}

}  // namespace

void register_global_average_pool(OpRegistry& r) {
  r.add({"GlobalAveragePool", make_global_average_pool, LrpRole::proportional, true});
}

}  // namespace heatlens
