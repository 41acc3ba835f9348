#include "kernels/activation.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu_clones.h"
#include "kernels/sigmoid_avx2.h"

namespace heatlens {

namespace {

// exp(x) for SiLU without a library call, so the loop vectorises: x = n·ln2 + r with n rounded
// by the 1.5·2²³ trick, a degree-6 polynomial for e^r (Cephes' expf coefficients), 2ⁿ built in
// the exponent bits. Relative error below 2e-7 over the clamped range [lo, hi] = [−87, 88]
// (tests/unit/kernels_test).
inline float exp_approx(float x, float lo, float hi) {
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const float shifted = x * 1.44269504f + 12582912.0f;
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const float n = shifted - 12582912.0f;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  // The low bits of `shifted` hold round(x·log2 e) (two's complement, the magic adds 0x400000).
  // Unsigned, so that a NaN's bits (x is NaN: the result is NaN whatever the scale) wrap
  // instead of shifting a negative value, which is undefined (UBSan caught it).
  const uint32_t ni = bits - 0x4B400000u;
  const uint32_t scale_bits = (ni + 127u) << 23;
  float scale;
  std::memcpy(&scale, &scale_bits, sizeof scale);
  return er * scale;
}

}  // namespace

// exp_approx's clamp bounds and the cut-offs below which SiLU and the sigmoid are written as 0,
// read at run time (nothing changes them; external linkage keeps the compiler from assuming
// so). As constants, GCC split the clamped cases off inside the vector loops and computed each
// with its own masked division, multiply and blends: SiLU took 0.50 ns an element in cache
// instead of 0.36.
struct ExpCutoffs {
  float low, high, silu_zero_below, sigmoid_zero_below;
};
ExpCutoffs exp_cutoffs = {-87.0f, 88.0f, -80.0f, -87.0f};

float exp_for_kernels(float x) {
  return exp_approx(x, exp_cutoffs.low, exp_cutoffs.high);
}

std::string Activation::name() const {
  switch (kind) {
    case Kind::relu:
      return "Relu";
    case Kind::clip:
      return "Clip";
    case Kind::silu:
      return "SiLU";
    case Kind::sigmoid:
      return "Sigmoid";
    case Kind::ratio:
      return "ratio";
    case Kind::scale:
      return "scale";
    case Kind::none:
      break;
  }
  return "none";
}

HEATLENS_CPU_CLONES void apply_bias_activation(float* x, int64_t n, float bias,
                                               const Activation& act) {
  if (act.addend) {
    // (x + bias) + addend, as the convolution's output and then the Add node round it.
    HEATLENS_CHECK(act.output, "the residual epilogue needs its output's start");
    const float* a = act.addend + (x - act.output);
    for (int64_t i = 0; i < n; ++i) x[i] = (x[i] + bias) + a[i];
    bias = 0.0f;
  }
  // One simple loop per case so the compiler vectorises each.
  switch (act.kind) {
    case Activation::Kind::none:
      if (bias != 0.0f)
        for (int64_t i = 0; i < n; ++i) x[i] += bias;
      break;
    case Activation::Kind::relu:
      for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i] + bias, 0.0f);
      break;
    case Activation::Kind::clip:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i] + bias, act.lo), act.hi);
      break;
    case Activation::Kind::silu: {
      const ExpCutoffs c = exp_cutoffs;
      if (const SigmoidLoop avx2 = avx2_sigmoid_loop()) {
        avx2(x, n, bias, true, c.low, c.high, c.silu_zero_below);
        break;
      }
      const float lo = c.low, hi = c.high, cut = c.silu_zero_below;
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] + bias;
        // Below −80 SiLU is under 1e-33: write 0 rather than a slow denormal quotient. v times
        // the sigmoid, as the unfused Sigmoid → Mul computes it.
        const float s = v * (1.0f / (1.0f + exp_approx(-v, lo, hi)));
        x[i] = v < cut ? 0.0f : s;
      }
      break;
    }
    case Activation::Kind::sigmoid: {
      const ExpCutoffs c = exp_cutoffs;
      if (const SigmoidLoop avx2 = avx2_sigmoid_loop()) {
        avx2(x, n, bias, false, c.low, c.high, c.sigmoid_zero_below);
        break;
      }
      const float lo = c.low, hi = c.high, cut = c.sigmoid_zero_below;
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] + bias;
        // Below −87 the quotient would be denormal; the sigmoid is under 2e-38 there.
        const float s = 1.0f / (1.0f + exp_approx(-v, lo, hi));
        x[i] = v < cut ? 0.0f : s;
      }
      break;
    }
    case Activation::Kind::scale: {
      // As multiply after the product: fused and apart agree bit for bit.
      HEATLENS_CHECK(act.output && act.factor, "the scale epilogue needs its output's start");
      const float* f = act.factor + (x - act.output);
      if (bias != 0.0f)
        for (int64_t i = 0; i < n; ++i) x[i] += bias;
      for (int64_t i = 0; i < n; ++i) x[i] *= f[i];
      break;
    }
    case Activation::Kind::ratio: {
      // As stabilized_divide, after the bias: fused and apart agree bit for bit.
      HEATLENS_CHECK(act.output && act.numerator, "the ratio epilogue needs its output's start");
      const float* r = act.numerator + (x - act.output);
      const float eps = act.lo;
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] + bias;
        const float d = v + (v >= 0.0f ? eps : -eps);
        const float q = r[i] / (d == 0.0f ? 1.0f : d);
        x[i] = d == 0.0f ? 0.0f : q;
      }
      break;
    }
  }
}

}  // namespace heatlens
