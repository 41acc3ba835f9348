// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3): each 2×2 block of
// outputs is computed from a 4×4 block of inputs with 16 multiplications per channel pair
// instead of 36 (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks").
//
// The weights are transformed once (U = G·g·Gᵀ, 16 matrices of out_c × C, each packed for the
// GEMM); per call the input is transformed (V = Bᵀ·d·B, 16 matrices of C × tiles), 16 GEMMs
// M_ξ = U_ξ·V_ξ run on the packed kernel, and each tile's outputs are Aᵀ·M·A. The transforms
// work on 8 tiles at a time from the input's rows split into even and odd columns, so every
// load is contiguous. conv_reference is what it is tested against (tests/unit/conv_kernels_test).
//
// Not yet used by the Conv operator. Measured there (Zen 2, 2 threads): ResNet-18's forward
// 28 → 20 ms, ResNet-50's 64 → 57 ms; but the transformed filters take 16/9 of the weights'
// memory (ResNet-18's gradient peak 132 → 171 MiB, over its 2 × (weights + activations)
// budget), and a forward alone this much faster leaves gradients and LRP at 3.6 and 4.7
// forwards. It goes in with the input gradient on the same transformed filters (the flipped
// filter's U is U with rows and columns 0 and 3 swapped, transposed over channels) and the raw
// weights no longer held beside two packings.
#pragma once

#include "kernels/conv_gemm.h"

namespace heatlens {

// Whether Winograd suits this convolution of one group: a 3×3 filter at stride 1 without
// dilation, padding at most 2 on the top and left, and channels and a map large enough for
// the transforms to pay for themselves.
bool winograd_applies(const ConvGeometry& g, int64_t out_channels);

// The 16 transformed filters of weights [out_c, C, 3, 3], each packed for the GEMM
// (PackedConvWeights::groups holds them in ξ order).
PackedConvWeights winograd_weights(const float* weights, int64_t out_channels, int64_t channels,
                                   const ExecContext* ctx);

// out[out_c, out_h·out_w] = act(conv(image) + bias) for one image.
void winograd_conv(const PackedConvWeights& weights, const float* image, const ConvGeometry& g,
                   const float* bias, const Activation& act, float* out, const ExecContext* ctx);

}  // namespace heatlens
