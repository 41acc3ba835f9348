// Window geometry shared by Conv, ConvTranspose, MaxPool and AveragePool: kernel, strides,
// dilations, explicit or automatic padding (auto_pad) and ceil_mode, for 1-D and 2-D inputs.
//
//   SpatialAttrs s = SpatialAttrs::parse(ctx.attrs, /*kernel from weights*/ {});
//   WindowPlan w = s.plan({h, w}, kernel, ceil_mode, op);
#pragma once

#include <string>
#include <vector>

#include "kernels/im2col.h"
#include "ops/op.h"

namespace heatlens {

struct SpatialAttrs {
  std::string auto_pad = "NOTSET";
  std::vector<int64_t> kernel_shape;  // may be empty for Conv (taken from the weights)
  std::vector<int64_t> strides, dilations, pads;

  static SpatialAttrs parse(const NodeAttributes& attrs, bool has_dilations = true);
};

// Resolved geometry for one input size, always as 2-D (1-D inputs use a height of 1).
struct WindowPlan {
  int spatial_dims = 2;
  int64_t in_h = 1, in_w = 1, out_h = 1, out_w = 1;
  int64_t k_h = 1, k_w = 1, s_h = 1, s_w = 1, d_h = 1, d_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;

  ConvGeometry geometry(int64_t channels) const;
  Shape spatial_out() const;  // {out_w} or {out_h, out_w}
};

// Plans a sliding window (Conv, pooling) over `in` (spatial sizes only).
WindowPlan plan_window(const SpatialAttrs& a, const Shape& in, const std::vector<int64_t>& kernel,
                       bool ceil_mode, const Op& op);

}  // namespace heatlens
