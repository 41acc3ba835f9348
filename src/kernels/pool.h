// Max pooling over planes: each plane is copied by stride phase with −∞ padding
// (kernels/phase_layout.h) and every output is a branch-free max over its taps in one flat,
// vectorised loop. NaN wins, as in PyTorch; a window with no pixel inside the image gives −∞.
// The reference is a plain scan of each window (tests/unit/kernels_test.cpp compares them).
#pragma once

#include <cstdint>

#include "kernels/im2col.h"

namespace heatlens {

// x: `planes` images of g.in_h × g.in_w; y: `planes` of g.out_h × g.out_w.
void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx);
void max_pool_planes_reference(const float* x, int64_t planes, const ConvGeometry& g, float* y);

}  // namespace heatlens
