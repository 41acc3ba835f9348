// Max pooling over planes, row by row: for each kernel tap, one branch-free loop over the
// output columns whose input column lies inside the image (vectorised for stride 1). NaN wins,
// as in PyTorch; a window with no pixel inside the image gives −∞. The reference is a plain
// scan of each window (tests/unit/kernels_test.cpp compares them).
#pragma once

#include <cstdint>

#include "kernels/im2col.h"

namespace heatlens {

// x: `planes` images of g.in_h × g.in_w; y: `planes` of g.out_h × g.out_w.
void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx);
void max_pool_planes_reference(const float* x, int64_t planes, const ConvGeometry& g, float* y);

}  // namespace heatlens
