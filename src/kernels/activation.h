// Activations that kernels apply in their epilogue (fused Conv + ReLU / Clip / SiLU) while the
// output tile is still in cache. The engine fuses them only where the graph allows: the
// pre-activation value has no other reader and is not kept for a backward pass.
#pragma once

#include <cstdint>
#include <string>

namespace heatlens {

struct Activation {
  enum class Kind { none, relu, clip, silu, sigmoid };
  Kind kind = Kind::none;
  float lo = 0, hi = 0;  // clip bounds

  static Activation relu() { return {Kind::relu, 0, 0}; }
  static Activation clip(float lo, float hi) { return {Kind::clip, lo, hi}; }
  static Activation silu() { return {Kind::silu, 0, 0}; }
  static Activation sigmoid() { return {Kind::sigmoid, 0, 0}; }
  bool none() const { return kind == Kind::none; }
  std::string name() const;
};

// The exponential SiLU and Sigmoid use (vectorisable, relative error < 2e-7 for x in [−87, 88]).
float exp_for_kernels(float x);

// x[i] = act(x[i] + bias) for i in [0, n).
void apply_bias_activation(float* x, int64_t n, float bias, const Activation& act);

}  // namespace heatlens
