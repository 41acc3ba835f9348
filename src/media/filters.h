// Image filters on NCHW float tensors, used by baselines (IG's blurred baseline) and
// perturbation methods: separable Gaussian blur and bilinear resizing of maps.
#pragma once

#include "core/tensor.h"

namespace heatlens {

// Gaussian blur over the last two dims (reflecting borders); sigma in pixels, 0 = copy.
Tensor gaussian_blur(const Tensor& x, double sigma);

// Bilinear resize of [N, C, h, w] to [N, C, height, width] (half-pixel centres, as
// PyTorch's interpolate(align_corners=False)).
Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width);

}  // namespace heatlens
