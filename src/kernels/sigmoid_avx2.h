// The sigmoid and SiLU epilogues with AVX2 + FMA intrinsics. Like micro_kernel.h this header
// includes nothing from the library, so the AVX2-compiled file shares no inline code with the
// portable paths.
#pragma once

#include <cstdint>

namespace heatlens {

// x[i] = s or v·s with v = x[i] + bias and s = 1 / (1 + exp(−v)), exp(−v) clamped to
// [exp(lo), exp(hi)]; 0 where v < zero_below. With FMA, and the exponential's polynomial by
// Estrin's scheme, about 0.7 ns an element on Zen 2 where the portable loop compiled for AVX2 took
// 1.16 (and SiLU was a quarter of EfficientNet-B0's forward pass).
using SigmoidLoop = void (*)(float* x, int64_t n, float bias, bool silu, float lo, float hi,
                             float zero_below);

// Null where the build or the CPU lacks AVX2 and FMA, and on AVX-512 CPUs (the portable loop's
// AVX-512 clone serves them).
SigmoidLoop avx2_sigmoid_loop();

}  // namespace heatlens
