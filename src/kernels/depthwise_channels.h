// Depthwise convolution with sixteen channels interleaved per vector (depthwise_channels.cpp):
// the path depthwise_conv takes on small maps, where a plane at a time is mostly overhead.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "kernels/im2col.h"
#include "ops/op.h"

namespace heatlens {

// Square 3×3 or 5×5 filters at stride 1 or 2, undilated, any padding.
bool depthwise_channels_fits(const ConvGeometry& g);

// out[c] = act(w[c] ⋆ image[c] + bias[c]) for `channels` planes (as depthwise_conv), blocks of
// sixteen channels split over ctx's threads.
void depthwise_channels(const float* image, const float* weights, const float* bias,
                        const ConvGeometry& g, int64_t channels, const Activation& act, float* out,
                        const ExecContext* ctx);

}  // namespace heatlens
