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
// The Conv operator (ops/conv.cpp) runs its 3×3 stride-1 layers of at most 256 × 256 channels
// on maps from 12 × 12 up this way in forward-only runs, and so are LRP's products with its
// rule-modified weights and their kept transposes (WeightLayout::winograd_flipped); recorded
// runs keep the GEMM, whose ties break as their backward passes expect
// (ExecContext::transformed_weights), except LRP's in layers whose outputs reach no max pooling
// (ForwardOptions::transforms_where_tie_free).
// The work goes in bands of tile rows, so the transformed inputs and products it holds stay
// near L2's size.
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
