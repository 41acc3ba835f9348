// The sigmoid and SiLU epilogues with AVX2 + FMA intrinsics. Like micro_kernel.h this header
// includes nothing from the library, so the AVX2-compiled file shares no inline code with the
// portable paths.
#pragma once

#include <cstdint>

namespace heatlens {

// x[i] = s or v·s with v = x[i] + bias and s = 1 / (1 + exp(−v)), exp(−v) clamped to
// [exp(lo), exp(hi)]; 0 where v < zero_below. The quotient is the reciprocal estimate refined
// by one Newton step (relative error under 3e-7), not a division: on Zen 2 the 8-wide divide
// alone was half the time of the portable loop, which was a quarter of EfficientNet-B0's
// forward pass.
using SigmoidLoop = void (*)(float* x, int64_t n, float bias, bool silu, float lo, float hi,
                             float zero_below);

// Null where the build or the CPU lacks AVX2 and FMA.
SigmoidLoop avx2_sigmoid_loop();

}  // namespace heatlens
