// Vectorised loops for broadcast binary operators in the shapes networks use: equal shapes,
// and one operand constant over trailing blocks (a per-channel scale [N, C, 1, 1] against
// [N, C, H, W], a scalar). Each known operator gets its own loop so compilers vectorise it.
//
// Operand x is read at x[o / x_block]: x_block = 1 for a full operand. One of the two blocks
// must be 1. binary_blocks_reference is the plain loop the tests compare with.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "ops/op.h"

namespace heatlens {

enum class BinaryKind { add, sub, mul, div, other };

// Element-wise functions with a kernel (OpDesc, the gradient loops below); the numbers are the
// WGSL kernel's codes.
enum class UnaryKind {
  none = 0,
  relu = 1,
  clip = 2,  // alpha = min, beta = max
  sigmoid = 3,
  hard_sigmoid = 4,  // max(0, min(1, alpha·x + beta))
  leaky_relu = 5,    // alpha
  tanh = 6,
  exp = 7,
  abs = 8,
  neg = 9,
  elu = 10,  // alpha
  hard_swish = 11,
  sqrt = 12,
  log = 13,
};

// `act`, when not none, is applied to each chunk of y as it is written (Add → Relu fused).
void binary_blocks(BinaryKind kind, float (*f)(float, float), const float* a, int64_t a_block,
                   const float* b, int64_t b_block, float* y, int64_t n, const ExecContext* ctx,
                   const Activation& act = Activation{});

void binary_blocks_reference(float (*f)(float, float), const float* a, int64_t a_block,
                             const float* b, int64_t b_block, float* y, int64_t n);

// The gradient of one operand of Add (factor null) or Mul (factor the other operand, read at
// factor[o / factor_block]) for a pair binary_blocks covers: grad[o] = g[o]·factor where the
// operand is full (own_block = 1), grad[q] = Σ_{o in block q} g[o]·factor where it is blocked
// (a per-channel scale's gradient). One of own_block and factor_block is 1 (or the factor
// absent). binary_grad_blocks_reference is the plain loop.
void binary_grad_blocks(const float* g, const float* factor, int64_t factor_block,
                        int64_t own_block, float* grad, int64_t n, const ExecContext* ctx);
void binary_grad_blocks_reference(const float* g, const float* factor, int64_t factor_block,
                                  int64_t own_block, float* grad, int64_t n);

// Σ x[i] for i < n, vectorised, in double (global average pooling, LRP's layer sums).
double sum_floats(const float* x, int64_t n);

// The element-wise steps of the LRP passes (explain/host_tensor_math.h), vectorised:
//   stabilized_divide  out = r / (z + ε·sign z), sign 0 counting as +, and 0 where that is 0
//   multiply_floats    out = a·b
//   add_floats         out = a + b in float, as the Add node rounds it (a sum LRP did not keep)
//   combine_floats     out = p·a + q·b (in double)
//   split_multiply     out = x⁺·a + x⁻·c, one product per element: x·a where x > 0, else x·c
//   any_negative       whether some x < 0 (NaN is not)
void stabilized_divide(const float* r, const float* z, float epsilon, int64_t n, float* out);
void multiply_floats(const float* a, const float* b, int64_t n, float* out);
void add_floats(const float* a, const float* b, int64_t n, float* out);
void combine_floats(float p, const float* a, float q, const float* b, int64_t n, float* out);
void split_multiply(const float* x, const float* a, const float* c, int64_t n, float* out);
bool any_negative(const float* x, int64_t n);

// x = act(x) over n elements, in chunks on ctx's threads (an epilogue applied to a finished
// output: LRP's scale after col2im).
void apply_in_place(float* x, int64_t n, const Activation& act, const ExecContext* ctx);

// y = x over n elements, in chunks on ctx's threads (a Concat part moved into its slice).
void copy_floats(const float* x, int64_t n, float* y, const ExecContext* ctx);

// y = act(x) over n elements, in cache-sized chunks on ctx's threads (the Relu, Clip, Sigmoid
// and SiLU nodes, and a plain gradient's SiLU after its kept convolution output).
void apply_activation(const float* x, int64_t n, const Activation& act, float* y,
                      const ExecContext* ctx);

// The input gradient of Relu (saved = x), Sigmoid and Tanh (saved = y) as vectorised loops;
// false, with nothing written, for other kinds (their ops call their own per-element gradient,
// which the tests compare this with).
bool unary_grad(UnaryKind kind, const float* saved, const float* g, float* d, int64_t n,
                const ExecContext* ctx);

// The input gradient of SiLU written as Mul(x, Sigmoid(x)), from x and s = σ(x) (both saved by
// the forward; s null: recomputed here as the Sigmoid node computes it): dx = g·s +
// (g·x)·s·(1 − s), what the Mul and Sigmoid gradients and their sum give, in one pass.
// silu_grad_reference is the plain loop.
void silu_grad(const float* g, const float* x, const float* s, int64_t n, float* dx,
               const ExecContext* ctx);
void silu_grad_reference(const float* g, const float* x, const float* s, int64_t n, float* dx);

// Whether binary_blocks covers a pair of operand blocks (one full, the other blocked).
inline bool blockwise(int64_t a_block, int64_t b_block) {
  return (a_block == 1 && b_block > 0) || (b_block == 1 && a_block > 0);
}

// The block of operand `operand` broadcast to `out` when it is full (1) or constant over
// trailing dimensions (their product); -1 when neither.
int64_t broadcast_block(const Shape& operand, const Shape& out);

}  // namespace heatlens
