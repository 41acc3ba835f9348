// Sliding-window pooling over (N, C, spatial...) planes, shared by MaxPool and AveragePool.
#pragma once

#include "ops/op_util.h"
#include "ops/spatial.h"

namespace heatlens {

// Output shape of a pooling node: batch and channels kept, spatial dims from the window plan.
inline Shape pooled_shape(const Shape& x, const WindowPlan& p) {
  Shape out = {x[0], x[1]};
  for (int64_t d : p.spatial_out()) out.push_back(d);
  return out;
}

inline WindowPlan plan_pool(const SpatialAttrs& a, const Shape& x, bool ceil_mode, const Op& op) {
  if (x.size() < 3) op.error("input must be (N, C, spatial...), got " + shape_str(x));
  if (a.kernel_shape.empty()) op.error("kernel_shape is required");
  return plan_window(a, Shape(x.begin() + 2, x.end()), a.kernel_shape, ceil_mode, op);
}

}  // namespace heatlens
