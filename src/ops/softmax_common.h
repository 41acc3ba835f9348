// Softmax and LogSoftmax share their layout: before opset 13 the input is viewed as 2-D at
// `axis` (default 1) and normalised over the flattened trailing part; from opset 13 the
// normalisation runs along the single `axis` (default −1).
#pragma once

#include "ops/op_util.h"

namespace heatlens {

struct SoftmaxLayout {
  int64_t outer = 1, axis = 1, inner = 1;  // element (o, a, i) at (o·axis + a)·inner + i
};

inline SoftmaxLayout softmax_layout(const Shape& shape, int64_t axis_attr, bool coerce_2d,
                                    const Op& op) {
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

}  // namespace heatlens
