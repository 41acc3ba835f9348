// Vectorised loops for broadcast binary operators in the shapes networks use: equal shapes,
// and one operand constant over trailing blocks (a per-channel scale [N, C, 1, 1] against
// [N, C, H, W], a scalar). Each known operator gets its own loop so compilers vectorise it.
//
// Operand x is read at x[o / x_block]: x_block = 1 for a full operand. One of the two blocks
// must be 1. binary_blocks_reference is the plain loop the tests compare with.
#pragma once

#include <cstdint>

#include "ops/op.h"

namespace heatlens {

enum class BinaryKind { add, sub, mul, div, other };

void binary_blocks(BinaryKind kind, float (*f)(float, float), const float* a, int64_t a_block,
                   const float* b, int64_t b_block, float* y, int64_t n, const ExecContext* ctx);

void binary_blocks_reference(float (*f)(float, float), const float* a, int64_t a_block,
                             const float* b, int64_t b_block, float* y, int64_t n);

// Whether binary_blocks covers a pair of operand blocks (one full, the other blocked).
inline bool blockwise(int64_t a_block, int64_t b_block) {
  return (a_block == 1 && b_block > 0) || (b_block == 1 && a_block > 0);
}

// The block of operand `operand` broadcast to `out` when it is full (1) or constant over
// trailing dimensions (their product); -1 when neither.
int64_t broadcast_block(const Shape& operand, const Shape& out);

}  // namespace heatlens
