#include "ops/resize_common.h"

#include <cmath>

namespace heatlens {

ResizeMode parse_resize_mode(const NodeAttributes& a, bool resize_attrs) {
  ResizeMode m;
  m.mode = a.get_string("mode", "nearest");
  if (m.mode != "nearest" && m.mode != "linear")
    a.error("mode '" + m.mode + "' is not supported (nearest and linear only)");
  if (!resize_attrs) {  // Upsample: asymmetric coordinates, nearest rounds down
    m.coordinate = "asymmetric";
    m.nearest = "floor";
    return m;
  }
  m.coordinate = a.get_string("coordinate_transformation_mode", "half_pixel");
  m.nearest = a.get_string("nearest_mode", "round_prefer_floor");
  if (m.coordinate != "half_pixel" && m.coordinate != "asymmetric" &&
      m.coordinate != "align_corners" && m.coordinate != "pytorch_half_pixel" &&
      m.coordinate != "tf_half_pixel_for_nn") {
    a.error("coordinate_transformation_mode '" + m.coordinate + "' is not supported");
  }
  if (m.nearest != "round_prefer_floor" && m.nearest != "round_prefer_ceil" &&
      m.nearest != "floor" && m.nearest != "ceil") {
    a.error("nearest_mode '" + m.nearest + "' is not supported");
  }
  a.get_float("cubic_coeff_a", -0.75f);  // used by cubic mode only
  if (a.get_int("exclude_outside", 0) != 0) a.error("exclude_outside = 1 is not supported");
  a.get_float("extrapolation_value", 0.0f);  // used by tf_crop_and_resize only
  if (a.get_int("antialias", 0) != 0) a.error("antialias = 1 is not supported");
  if (a.has("axes")) a.error("the axes attribute is not supported");
  if (a.get_string("keep_aspect_ratio_policy", "stretch") != "stretch")
    a.error("keep_aspect_ratio_policy is not supported");
  return m;
}

void ResizeOp::from_scales(const Shape& in, const std::vector<float>& scales, Shape& out,
                           std::vector<double>& s) const {
  if (scales.size() != in.size())
    error("scales has " + std::to_string(scales.size()) + " entries for rank " +
          std::to_string(in.size()));
  out.resize(in.size());
  s.resize(in.size());
  for (size_t d = 0; d < in.size(); ++d) {
    if (!(scales[d] > 0)) error("scales must be positive");
    out[d] = static_cast<int64_t>(std::floor(in[d] * static_cast<double>(scales[d])));
    s[d] = scales[d];
  }
}

std::vector<ValueType> ResizeOp::infer(const std::vector<ValueType>& in) const {
  require_f32(in[0], *this, "input");
  Shape out;
  std::vector<double> scales;
  target(in, out, scales);
  return {{DType::f32, out, Tensor()}};
}

void ResizeOp::contributions(const Shape& in, const Shape& out, const std::vector<double>& scales,
                             std::vector<int64_t>& index, std::vector<float>& weight,
                             int& per_output) const {
  const size_t rank = in.size();
  // Per axis and output coordinate: two (index, weight) taps (nearest uses one, weight 1).
  std::vector<std::vector<int64_t>> idx(rank);
  std::vector<std::vector<float>> w(rank);
  std::vector<bool> linear(rank, false);
  int taps = 1;
  for (size_t d = 0; d < rank; ++d) {
    linear[d] = mode_.mode == "linear" && in[d] != out[d];
    if (linear[d]) taps *= 2;
    for (int64_t o = 0; o < out[d]; ++o) {
      double x;
      const double sc = scales[d];
      if (mode_.coordinate == "half_pixel")
        x = (o + 0.5) / sc - 0.5;
      else if (mode_.coordinate == "pytorch_half_pixel")
        x = out[d] > 1 ? (o + 0.5) / sc - 0.5 : 0.0;
      else if (mode_.coordinate == "align_corners")  // ONNX: unrounded length in·scale
        x = in[d] * sc > 1 ? o * static_cast<double>(in[d] - 1) / (in[d] * sc - 1) : 0.0;
      else if (mode_.coordinate == "tf_half_pixel_for_nn")
        x = (o + 0.5) / sc;
      else
        x = o / sc;
      if (linear[d]) {
        x = std::max(0.0, std::min(x, static_cast<double>(in[d] - 1)));
        const int64_t i0 = static_cast<int64_t>(std::floor(x));
        const int64_t i1 = std::min(i0 + 1, in[d] - 1);
        const float frac = static_cast<float>(x - i0);
        idx[d].push_back(i0);
        idx[d].push_back(i1);
        w[d].push_back(1.0f - frac);
        w[d].push_back(frac);
      } else {
        int64_t i;
        const double fl = std::floor(x), frac = x - fl;
        if (mode_.mode == "linear")
          i = static_cast<int64_t>(std::llround(x));  // unchanged axis: x is an integer
        else if (mode_.nearest == "floor")
          i = static_cast<int64_t>(fl);
        else if (mode_.nearest == "ceil")
          i = static_cast<int64_t>(std::ceil(x));
        else if (frac == 0.5)
          i = static_cast<int64_t>(mode_.nearest == "round_prefer_ceil" ? fl + 1 : fl);
        else
          i = static_cast<int64_t>(std::round(x));
        i = std::max<int64_t>(0, std::min(i, in[d] - 1));
        idx[d].push_back(i);
        w[d].push_back(1.0f);
      }
    }
  }
  per_output = taps;
  const int64_t n = shape_numel(out);
  index.assign(static_cast<size_t>(n * taps), 0);
  weight.assign(static_cast<size_t>(n * taps), 1.0f);
  std::vector<int64_t> in_strides = row_strides(in);
  std::vector<int64_t> coord(rank, 0);
  for (int64_t o = 0; o < n; ++o) {
    for (int t = 0; t < taps; ++t) {
      int64_t k = 0;
      float wt = 1.0f;
      int bit = 0;
      for (size_t d = 0; d < rank; ++d) {
        int tap = 0;
        if (linear[d]) tap = (t >> bit++) & 1;
        const size_t at = static_cast<size_t>(coord[d] * (linear[d] ? 2 : 1) + tap);
        k += idx[d][at] * in_strides[d];
        wt *= w[d][at];
      }
      index[o * taps + t] = k;
      weight[o * taps + t] = wt;
    }
    for (size_t d = rank; d-- > 0;) {
      if (++coord[d] < out[d]) break;
      coord[d] = 0;
    }
  }
}

Tensors ResizeOp::forward(const Tensors& in, const ExecContext&) const {
  Shape out_shape;
  std::vector<double> scales;
  target(value_types(in), out_shape, scales);
  std::vector<int64_t> index;
  std::vector<float> weight;
  int taps;
  contributions(in[0].shape(), out_shape, scales, index, weight, taps);
  Tensor out(out_shape);
  const float* x = in[0].f32();
  for (int64_t o = 0; o < out.numel(); ++o) {
    float v = 0;
    for (int t = 0; t < taps; ++t) v += weight[o * taps + t] * x[index[o * taps + t]];
    out.f32()[o] = v;
  }
  return {out};
}

Tensors ResizeOp::vjp(const VjpArgs& a) const {
  Shape out_shape;
  std::vector<double> scales;
  target(a.input_types, out_shape, scales);
  std::vector<int64_t> index;
  std::vector<float> weight;
  int taps;
  contributions(a.input_types[0].shape, out_shape, scales, index, weight, taps);
  Tensor dx(a.input_types[0].shape);
  const float* g = a.grad_outputs[0].f32();
  const int64_t n = shape_numel(out_shape);
  for (int64_t o = 0; o < n; ++o) {
    for (int t = 0; t < taps; ++t) dx.f32()[index[o * taps + t]] += weight[o * taps + t] * g[o];
  }
  Tensors grads(a.input_types.size());
  grads[0] = dx;
  return grads;
}

}  // namespace heatlens
