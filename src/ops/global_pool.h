// Shapes shared by GlobalAveragePool and GlobalMaxPool: (N, C, spatial...) → (N, C, 1, ...).
#pragma once

#include "ops/op_util.h"

namespace heatlens {

inline Shape global_pooled_shape(const Shape& x, const Op& op) {
  if (x.size() < 3) op.error("input must be (N, C, spatial...), got " + shape_str(x));
  Shape out = x;
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  return out;
}

}  // namespace heatlens
