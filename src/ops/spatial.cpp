#include "ops/spatial.h"

#include <algorithm>

namespace heatlens {

SpatialAttrs SpatialAttrs::parse(const NodeAttributes& attrs, bool has_dilations) {
  SpatialAttrs s;
  s.auto_pad = attrs.get_string("auto_pad", "NOTSET");
  s.kernel_shape = attrs.get_ints("kernel_shape");
  s.strides = attrs.get_ints("strides");
  if (has_dilations) s.dilations = attrs.get_ints("dilations");
  s.pads = attrs.get_ints("pads");
  if (s.auto_pad != "NOTSET" && s.auto_pad != "SAME_UPPER" && s.auto_pad != "SAME_LOWER" &&
      s.auto_pad != "VALID") {
    attrs.error("auto_pad '" + s.auto_pad + "' is not supported");
  }
  return s;
}

ConvGeometry WindowPlan::geometry(int64_t channels) const {
  ConvGeometry g;
  g.channels = channels;
  g.in_h = in_h;
  g.in_w = in_w;
  g.out_h = out_h;
  g.out_w = out_w;
  g.k_h = k_h;
  g.k_w = k_w;
  g.stride_h = s_h;
  g.stride_w = s_w;
  g.dilation_h = d_h;
  g.dilation_w = d_w;
  g.pad_top = pad_top;
  g.pad_left = pad_left;
  return g;
}

Shape WindowPlan::spatial_out() const {
  return spatial_dims == 1 ? Shape{out_w} : Shape{out_h, out_w};
}

WindowPlan plan_window(const SpatialAttrs& a, const Shape& in, const std::vector<int64_t>& kernel,
                       bool ceil_mode, const Op& op) {
  const size_t nd = in.size();
  if (nd != 1 && nd != 2) {
    op.error(std::to_string(nd) + "-D windows are not supported (1-D and 2-D only)");
  }
  if (kernel.size() != nd)
    op.error("kernel_shape has " + std::to_string(kernel.size()) + " dims, input has " +
             std::to_string(nd));
  auto pick = [&](const std::vector<int64_t>& v, size_t i, int64_t fallback, const char* name) {
    if (v.empty()) return fallback;
    if (v.size() != nd) op.error(std::string(name) + " has the wrong length");
    if (v[i] < 1) op.error(std::string(name) + " must be positive");
    return v[i];
  };
  if (!a.pads.empty() && a.pads.size() != 2 * nd) op.error("pads has the wrong length");
  std::vector<int64_t> out(nd), begin(nd), end(nd), k(nd), s(nd), d(nd);
  for (size_t i = 0; i < nd; ++i) {
    k[i] = kernel[i];
    if (k[i] < 1) op.error("kernel size must be positive");
    s[i] = pick(a.strides, i, 1, "strides");
    d[i] = pick(a.dilations, i, 1, "dilations");
    const int64_t extent = (k[i] - 1) * d[i] + 1;
    if (a.auto_pad == "NOTSET") {
      begin[i] = a.pads.empty() ? 0 : a.pads[i];
      end[i] = a.pads.empty() ? 0 : a.pads[i + nd];
      if (begin[i] < 0 || end[i] < 0) op.error("negative pads are not supported");
      const int64_t span = in[i] + begin[i] + end[i] - extent;
      if (span < 0) op.error("the window is larger than the padded input " + shape_str(in));
      out[i] = (ceil_mode ? (span + s[i] - 1) / s[i] : span / s[i]) + 1;
      // As PyTorch: the last window must start inside the input or the leading padding.
      if (ceil_mode && (out[i] - 1) * s[i] >= in[i] + begin[i]) --out[i];
    } else if (a.auto_pad == "VALID") {
      begin[i] = end[i] = 0;
      if (in[i] < extent) op.error("the window is larger than the input " + shape_str(in));
      out[i] = (in[i] - extent) / s[i] + 1;
    } else {  // SAME_UPPER / SAME_LOWER
      out[i] = (in[i] + s[i] - 1) / s[i];
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * s[i] + extent - in[i]);
      begin[i] = a.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    }
  }
  WindowPlan w;
  w.spatial_dims = static_cast<int>(nd);
  const size_t h = nd == 2 ? 0 : nd;  // index of the height dim, or nd for 1-D
  const size_t x = nd - 1;
  if (h < nd) {
    w.in_h = in[h];
    w.out_h = out[h];
    w.k_h = k[h];
    w.s_h = s[h];
    w.d_h = d[h];
    w.pad_top = begin[h];
    w.pad_bottom = end[h];
  }
  w.in_w = in[x];
  w.out_w = out[x];
  w.k_w = k[x];
  w.s_w = s[x];
  w.d_w = d[x];
  w.pad_left = begin[x];
  w.pad_right = end[x];
  return w;
}

}  // namespace heatlens
