// GatherMapOp: operators where every output element copies one input element or a fill value
// (Transpose, Slice, Pad). Subclasses describe the map; forward gathers, the VJP scatters
// (adding, so Pad's reflect/edge modes that read an element twice get both gradients).
#pragma once

#include "ops/op_util.h"

namespace heatlens {

class GatherMapOp : public Op {
 public:
  // Output shape, and for each output element the input element it copies (−1: fill).
  virtual Shape map(const std::vector<ValueType>& in, std::vector<int64_t>* source) const = 0;
  virtual float fill_value(const std::vector<ValueType>&) const { return 0.0f; }

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    return {{in[0].dtype, map(in, nullptr), Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    std::vector<ValueType> types = value_types(in);
    std::vector<int64_t> src;
    Tensor out(map(types, &src), in[0].dtype());
    const int64_t n = out.numel();
    if (in[0].dtype() == DType::i64) {
      for (int64_t i = 0; i < n; ++i) out.i64()[i] = src[i] >= 0 ? in[0].i64()[src[i]] : 0;
    } else {
      const float fill = fill_value(types);
      const float* x = in[0].f32();
      float* y = out.f32();
      for (int64_t i = 0; i < n; ++i) y[i] = src[i] >= 0 ? x[src[i]] : fill;
    }
    return {out};
  }

  Tensors vjp(const VjpArgs& a) const override {
    std::vector<int64_t> src;
    map(a.input_types, &src);
    Tensor dx(a.input_types[0].shape);
    const float* g = a.grad_outputs[0].f32();
    for (size_t i = 0; i < src.size(); ++i) {
      if (src[i] >= 0) dx.f32()[src[i]] += g[i];
    }
    Tensors grads(a.input_types.size());
    grads[0] = dx;
    return grads;
  }

  bool vjp_uses_input(int) const override { return false; }

 protected:
  // Visits every output coordinate in row-major order: fn(flat_index, coordinates).
  static void for_each_index(const Shape& shape,
                             const std::function<void(int64_t, const std::vector<int64_t>&)>& fn) {
    const int64_t n = shape_numel(shape);
    std::vector<int64_t> idx(shape.size(), 0);
    for (int64_t o = 0; o < n; ++o) {
      fn(o, idx);
      for (size_t d = shape.size(); d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }
};

}  // namespace heatlens
