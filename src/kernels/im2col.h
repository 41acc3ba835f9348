// im2col / col2im for 2-D convolution (1-D convolutions use height 1).
//
// The column matrix has one row per (channel, kernel row, kernel column) and one column per
// output position, so a convolution is W[out_c, C·kh·kw] · col[C·kh·kw, oh·ow]. Zero padding
// reads as 0 in im2col and is dropped in col2im.
#pragma once

#include <cstdint>

#include "ops/op.h"

namespace heatlens {

struct ConvGeometry {
  int64_t channels = 0;          // channels of the image (per group)
  int64_t in_h = 0, in_w = 0;    // the image
  int64_t out_h = 0, out_w = 0;  // positions of the kernel
  int64_t k_h = 1, k_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
};

// A 1×1, stride-1, unpadded kernel: the image itself is the column matrix [C, H·W].
inline bool is_pointwise(const ConvGeometry& g) {
  return g.k_h == 1 && g.k_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_top == 0 &&
         g.pad_left == 0 && g.out_h == g.in_h && g.out_w == g.in_w;
}

// The range [lo, hi) of t in [0, count) for which offset + t·stride lies in [0, size): the
// output columns of a kernel tap that read inside the image.
struct IndexRange {
  int64_t lo, hi;
};
inline IndexRange inside_range(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  // Called per packed row and run: strides 1 and 2 avoid the 64-bit divisions (both
  // dividends are non-negative where they are used).
  const auto divide = [stride](int64_t v) {
    return stride == 1 ? v : stride == 2 ? v >> 1 : v / stride;
  };
  int64_t lo = offset >= 0 ? 0 : divide(-offset + stride - 1);
  int64_t hi = offset > size - 1 ? 0 : divide(size - 1 - offset) + 1;
  lo = lo < count ? lo : count;
  hi = hi < count ? hi : count;
  return {lo, hi > lo ? hi : lo};
}

// col[(c·kh + i)·kw + j][oy·ow + ox] = image[c][oy·sh − pt + i·dh][ox·sw − pl + j·dw] (or 0).
void im2col(const float* image, const ConvGeometry& g, float* col, const ExecContext* ctx);
// image[...] += col[...] for the same correspondence (image must be initialised).
void col2im(const float* col, const ConvGeometry& g, float* image, const ExecContext* ctx);
// The same, element by element with a bounds test each (the tests' reference).
void col2im_reference(const float* col, const ConvGeometry& g, float* image);

}  // namespace heatlens
