// Max pooling over planes: each plane is copied by stride phase with −∞ padding
// (kernels/phase_layout.h) and every output is a branch-free max over its taps in one flat,
// vectorised loop. NaN wins, as in PyTorch; a window with no pixel inside the image gives −∞.
// The gradient goes to the first maximum of each window in scan order, as in PyTorch: the
// winning tap of every output is found in the same flat loop (an argmax), then dy is added at
// its input position. The references are plain scans of each window
// (tests/unit/kernels_test.cpp compares them).
#pragma once

#include <cstdint>

#include "kernels/im2col.h"

namespace heatlens {

// x: `planes` images of g.in_h × g.in_w; y: `planes` of g.out_h × g.out_w.
void max_pool_planes(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                     const ExecContext* ctx);
void max_pool_planes_reference(const float* x, int64_t planes, const ConvGeometry& g, float* y);

// dx (written, not added to) for dy given the pooled input x; padding never wins, and a window
// with no pixel inside the image passes nothing back.
void max_pool_backward_planes(const float* x, const float* dy, int64_t planes,
                              const ConvGeometry& g, float* dx, const ExecContext* ctx);
void max_pool_backward_planes_reference(const float* x, const float* dy, int64_t planes,
                                        const ConvGeometry& g, float* dx);

}  // namespace heatlens
