// MatMul: numpy matmul — 1-D operands are promoted to matrices, leading (batch) dimensions
// broadcast. In LRP it is a linear layer when one operand is constant.
#include "kernels/gemm.h"
#include "ops/op_util.h"

namespace heatlens {

namespace {

struct MatMulShapes {
  Shape a, b;  // promoted to at least 2-D
  Shape batch_a, batch_b, batch;
  int64_t m, k, n;
  Shape out;  // with promoted dims removed
};

class MatMul : public Op {
 public:
  MatMulShapes shapes(Shape a, Shape b) const {
    if (a.empty() || b.empty()) error("operands must have at least one dimension");
    MatMulShapes s;
    const bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    s.m = a[a.size() - 2];
    s.k = a.back();
    s.n = b.back();
    if (b[b.size() - 2] != s.k)
      error("inner dimensions differ: " + shape_str(a) + " · " + shape_str(b));
    s.batch_a.assign(a.begin(), a.end() - 2);
    s.batch_b.assign(b.begin(), b.end() - 2);
    s.batch = broadcast_shapes(s.batch_a, s.batch_b, *this);
    s.out = s.batch;
    if (!a1) s.out.push_back(s.m);
    if (!b1) s.out.push_back(s.n);
    s.a = a;
    s.b = b;
    return s;
  }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    require_f32(in[0], *this, "A");
    require_f32(in[1], *this, "B");
    return {{DType::f32, shapes(in[0].shape, in[1].shape).out, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext& ctx) const override {
    MatMulShapes s = shapes(in[0].shape(), in[1].shape());
    Tensor y(s.out);
    const float* a = in[0].f32();
    const float* b = in[1].f32();
    float* yp = y.f32();
    const int64_t sa = s.m * s.k, sb = s.k * s.n, sy = s.m * s.n;
    broadcast_for_each(s.batch, s.batch_a, s.batch_b, [&](int64_t o, int64_t i, int64_t j) {
      f32_gemm(false, false, s.m, s.n, s.k, 1.0f, a + i * sa, s.k, b + j * sb, s.n, 0.0f,
               yp + o * sy, s.n, &ctx);
    });
    return {y};
  }

  Tensors vjp(const VjpArgs& v) const override {
    MatMulShapes s = shapes(v.input_types[0].shape, v.input_types[1].shape);
    const int64_t sa = s.m * s.k, sb = s.k * s.n, sy = s.m * s.n;
    const float* dy = v.grad_outputs[0].f32();
    Tensors g(2);
    // Gradients per broadcast batch, then summed back to each operand's batch shape.
    if (v.need[0]) {
      Shape full = s.batch;
      full.push_back(s.m);
      full.push_back(s.k);
      Tensor da(full);
      const float* b = v.inputs[1].f32();
      broadcast_for_each(s.batch, s.batch_a, s.batch_b, [&](int64_t o, int64_t, int64_t j) {
        f32_gemm(false, true, s.m, s.k, s.n, 1.0f, dy + o * sy, s.n, b + j * sb, s.n, 0.0f,
                 da.f32() + o * sa, s.k, &v.ctx);
      });
      Shape target = s.batch_a;
      target.push_back(s.m);
      target.push_back(s.k);
      g[0] = sum_to_shape(da, target).reshaped(v.input_types[0].shape);
    }
    if (v.need[1]) {
      Shape full = s.batch;
      full.push_back(s.k);
      full.push_back(s.n);
      Tensor db(full);
      const float* a = v.inputs[0].f32();
      broadcast_for_each(s.batch, s.batch_a, s.batch_b, [&](int64_t o, int64_t i, int64_t) {
        f32_gemm(true, false, s.k, s.n, s.m, 1.0f, a + i * sa, s.k, dy + o * sy, s.n, 0.0f,
                 db.f32() + o * sb, s.n, &v.ctx);
      });
      Shape target = s.batch_b;
      target.push_back(s.k);
      target.push_back(s.n);
      g[1] = sum_to_shape(db, target).reshaped(v.input_types[1].shape);
    }
    return g;
  }
};

std::unique_ptr<Op> make_mat_mul(const OpBuildContext&) {
  return std::make_unique<MatMul>();
}

}  // namespace

void register_mat_mul(OpRegistry& r) {
  r.add({"MatMul", make_mat_mul, LrpRole::linear, true});
}

}  // namespace heatlens
