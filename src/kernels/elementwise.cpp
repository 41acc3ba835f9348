#include "kernels/elementwise.h"

#include <algorithm>

namespace heatlens {

namespace {

// y[o] = op(a[o], b[o / block]) (swap = false) or op(b[o / block], a[o]) (swap = true).
template <class Op>
void blocks(Op op, const float* full, const float* per_block, int64_t block, bool swap, float* y,
            int64_t o0, int64_t o1) {
  if (block == 1) {
    for (int64_t o = o0; o < o1; ++o)
      y[o] = swap ? op(per_block[o], full[o]) : op(full[o], per_block[o]);
    return;
  }
  for (int64_t q = o0 / block; q * block < o1; ++q) {
    const int64_t s = std::max(o0, q * block), e = std::min(o1, (q + 1) * block);
    const float v = per_block[q];
    if (swap) {
      for (int64_t o = s; o < e; ++o) y[o] = op(v, full[o]);
    } else {
      for (int64_t o = s; o < e; ++o) y[o] = op(full[o], v);
    }
  }
}

template <class Op>
void dispatch(Op op, const float* a, int64_t a_block, const float* b, int64_t b_block, float* y,
              int64_t n, const ExecContext* ctx) {
  const bool swap = a_block != 1;  // then b is the full operand
  const float* full = swap ? b : a;
  const float* per_block = swap ? a : b;
  const int64_t block = swap ? a_block : b_block;
  auto body = [&](int64_t o0, int64_t o1) { blocks(op, full, per_block, block, swap, y, o0, o1); };
  if (ctx && n >= (int64_t{1} << 15))
    ctx->parallel_for(n, body, int64_t{1} << 14);
  else
    body(0, n);
}

}  // namespace

void binary_blocks(BinaryKind kind, float (*f)(float, float), const float* a, int64_t a_block,
                   const float* b, int64_t b_block, float* y, int64_t n, const ExecContext* ctx) {
  switch (kind) {
    case BinaryKind::add:
      return dispatch([](float u, float v) { return u + v; }, a, a_block, b, b_block, y, n, ctx);
    case BinaryKind::sub:
      return dispatch([](float u, float v) { return u - v; }, a, a_block, b, b_block, y, n, ctx);
    case BinaryKind::mul:
      return dispatch([](float u, float v) { return u * v; }, a, a_block, b, b_block, y, n, ctx);
    case BinaryKind::div:
      return dispatch([](float u, float v) { return u / v; }, a, a_block, b, b_block, y, n, ctx);
    case BinaryKind::other:
      return dispatch(f, a, a_block, b, b_block, y, n, ctx);
  }
}

void binary_blocks_reference(float (*f)(float, float), const float* a, int64_t a_block,
                             const float* b, int64_t b_block, float* y, int64_t n) {
  for (int64_t o = 0; o < n; ++o) y[o] = f(a[o / a_block], b[o / b_block]);
}

int64_t broadcast_block(const Shape& operand, const Shape& out) {
  if (operand.size() > out.size()) return -1;
  const size_t lead = out.size() - operand.size();
  // Dimensions that match `out` first, then only 1s.
  size_t k = 0;
  while (k < out.size() && (k < lead ? out[k] == 1 : operand[k - lead] == out[k])) ++k;
  int64_t block = 1;
  for (size_t d = k; d < out.size(); ++d) {
    if (d >= lead && operand[d - lead] != 1) return -1;
    block *= out[d];
  }
  return std::max<int64_t>(block, 1);
}

}  // namespace heatlens
