// Interpolation shared by Resize and Upsample: nearest (four rounding modes) and linear
// (separable, along any axes whose size changes), with ONNX's coordinate transformations.
// Each output element is a weighted sum of input elements; forward gathers, the VJP scatters.
#pragma once

#include <string>

#include "ops/op_util.h"

namespace heatlens {

struct ResizeMode {
  std::string mode = "nearest";           // nearest | linear
  std::string coordinate = "half_pixel";  // half_pixel | asymmetric | align_corners |
                                          // pytorch_half_pixel | tf_half_pixel_for_nn
  std::string nearest =
      "round_prefer_floor";  // round_prefer_floor | round_prefer_ceil | floor | ceil
};

class ResizeOp : public Op {
 public:
  explicit ResizeOp(ResizeMode mode) : mode_(std::move(mode)) {}

  // Output shape and per-axis scales for these inputs (subclasses read scales or sizes).
  virtual void target(const std::vector<ValueType>& in, Shape& out,
                      std::vector<double>& scales) const = 0;

  std::vector<ValueType> infer(const std::vector<ValueType>& in) const override;
  Tensors forward(const Tensors& in, const ExecContext& ctx) const override;
  Tensors vjp(const VjpArgs& a) const override;
  bool vjp_uses_input(int) const override { return false; }

 protected:
  // Shape and scales from a scales list (output = floor(input·scale)).
  void from_scales(const Shape& in, const std::vector<float>& scales, Shape& out,
                   std::vector<double>& s) const;

 private:
  // For every output element: up to 2^k (input index, weight) pairs, k = linear axes.
  void contributions(const Shape& in, const Shape& out, const std::vector<double>& scales,
                     std::vector<int64_t>& index, std::vector<float>& weight,
                     int& per_output) const;
  ResizeMode mode_;
};

ResizeMode parse_resize_mode(const NodeAttributes& attrs, bool resize_attrs);

}  // namespace heatlens
