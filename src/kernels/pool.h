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

// A recorded forward's max pool (MaxPool::forward_recorded): y as max_pool_planes writes it, and
// each output's winner, the input position in its plane that its gradient goes to (as
// max_pool_backward_planes chooses it; −1 for a window with no pixel inside the image), found
// in the same sweep. The gradient is then max_pool_backward_from_winners: no second pass over x.
void max_pool_planes_with_winners(const float* x, int64_t planes, const ConvGeometry& g, float* y,
                                  int64_t* winners, const ExecContext* ctx);
void max_pool_backward_from_winners(const int64_t* winners, const float* dy, int64_t planes,
                                    const ConvGeometry& g, float* dx, const ExecContext* ctx);

}  // namespace heatlens
