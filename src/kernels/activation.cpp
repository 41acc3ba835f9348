#include "kernels/activation.h"

#include <algorithm>
#include <cmath>

namespace heatlens {

std::string Activation::name() const {
  switch (kind) {
    case Kind::relu:
      return "Relu";
    case Kind::clip:
      return "Clip";
    case Kind::silu:
      return "SiLU";
    case Kind::none:
      break;
  }
  return "none";
}

void apply_bias_activation(float* x, int64_t n, float bias, const Activation& act) {
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
    case Activation::Kind::silu:
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] + bias;
        x[i] = v / (1.0f + std::exp(-v));
      }
      break;
  }
}

}  // namespace heatlens
