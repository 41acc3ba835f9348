// ViewOp: operators whose output is the input's data with another shape (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, Dropout at inference). The output shares the input's storage;
// the gradient is the output gradient viewed with the input's shape.
#pragma once

#include "ops/op_util.h"

namespace heatlens {

class ViewOp : public Op {
 public:
  // The output shape for these inputs (input 0 is the data).
  virtual Shape view_shape(const std::vector<ValueType>& in) const = 0;

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override {
    Shape s = view_shape(in);
    if (shape_numel(s) != shape_numel(in[0].shape)) {
      error("cannot view " + shape_str(in[0].shape) + " as " + shape_str(s));
    }
    return {{in[0].dtype, s, Tensor()}};
  }

  Tensors forward(const Tensors& in, const ExecContext&) const override {
    return {in[0].reshaped(view_shape(value_types(in)))};
  }

  Tensors vjp(const VjpArgs& a) const override {
    Tensors g(a.input_types.size());
    g[0] = a.grad_outputs[0].reshaped(a.input_types[0].shape);
    return g;
  }

  bool vjp_uses_input(int) const override { return false; }
};

}  // namespace heatlens
