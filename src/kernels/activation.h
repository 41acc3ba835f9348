// Activations that kernels apply in their epilogue (fused Conv + ReLU / Clip / SiLU) while the
// output tile is still in cache. The engine fuses them only where the graph allows: the
// pre-activation value has no other reader and is not kept for a backward pass.
#pragma once

#include <cstdint>
#include <string>

namespace heatlens {

struct Activation {
  // ratio: LRP's ε-stabilised ratio R / (z + ε·sign z) (0 where that denominator is 0, as
  // stabilized_divide) of a relevance R shaped like the output, made as each output tile of a
  // rule's product completes rather than in a pass of its own over z and R (only Conv takes it).
  // scale: x · factor[p], a tensor shaped like the output (LRP's x ⊙ Wᵀs, made as the
  // transposed product's tiles complete rather than in a pass of its own).
  enum class Kind { none, relu, clip, silu, sigmoid, ratio, scale };
  Kind kind = Kind::none;
  float lo = 0, hi = 0;  // clip bounds; ratio: lo is ε
  // ratio: R, and where the output it is shaped like starts (set by the op that allocates the
  // output): the element of R for output element p is numerator + (p − output).
  const float* numerator = nullptr;
  const float* output = nullptr;
  // A tensor shaped like the output added to it after the bias, before the activation (a
  // residual sum fused into the convolution before it: ResNet's blocks), read as numerator is.
  const float* addend = nullptr;
  const float* factor = nullptr;  // scale: read as numerator is

  static Activation relu() { return {Kind::relu, 0, 0}; }
  static Activation clip(float lo, float hi) { return {Kind::clip, lo, hi}; }
  static Activation silu() { return {Kind::silu, 0, 0}; }
  static Activation sigmoid() { return {Kind::sigmoid, 0, 0}; }
  static Activation ratio(const float* numerator, float epsilon) {
    Activation a;
    a.kind = Kind::ratio;
    a.lo = epsilon;
    a.numerator = numerator;
    return a;
  }
  static Activation scale(const float* factor) {
    Activation a;
    a.kind = Kind::scale;
    a.factor = factor;
    return a;
  }
  // Whether it reads another tensor at the output's positions: then it must be applied where
  // the output finally lies, not in a kernel's temporary.
  bool reads_at_output() const {
    return kind == Kind::ratio || kind == Kind::scale || addend != nullptr;
  }
  bool none() const { return kind == Kind::none && addend == nullptr; }
  std::string name() const;
};

// The exponential SiLU and Sigmoid use (vectorisable, relative error < 2e-7 for x in [−87, 88]).
float exp_for_kernels(float x);

// x[i] = act(x[i] + bias) for i in [0, n).
void apply_bias_activation(float* x, int64_t n, float bias, const Activation& act);

}  // namespace heatlens
