// GlobalAveragePool: mean over all spatial positions of each (N, C) plane. In LRP it
// redistributes relevance in proportion to each position's contribution.
#include <algorithm>

#include "kernels/elementwise.h"
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

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    Tensor out(global_pooled_shape(in[0].shape(), *this));
    const int64_t planes = out.numel(), size = in[0].numel() / std::max<int64_t>(planes, 1);
    const float* x = in[0].f32();
    float* y = out.f32();
    ctx.parallel_for(
        planes,
        [&](int64_t q0, int64_t q1) {
          for (int64_t q = q0; q < q1; ++q)
            y[q] = static_cast<float>(sum_floats(x + q * size, size) / static_cast<double>(size));
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)));
    return {out};
  }

  bool describe(const std::vector<ValueType>& in, OpDesc& d) const override {
    d.kind = OpKind::global_average_pool;
    return in[0].shape.size() == 4;
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensor dx = Tensor::uninitialized(a.input_types[0].shape);
    const int64_t planes = a.grad_outputs[0].numel(),
                  size = dx.numel() / std::max<int64_t>(planes, 1);
    const float* dy = a.grad_outputs[0].f32();
    float* d = dx.f32();
    a.ctx.parallel_for(
        planes,
        [&](int64_t q0, int64_t q1) {
          for (int64_t q = q0; q < q1; ++q)
            std::fill(d + q * size, d + (q + 1) * size, dy[q] / static_cast<float>(size));
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size)));
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
