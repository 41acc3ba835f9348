#include "kernels/elementwise.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_clones.h"

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
              int64_t n, const ExecContext* ctx, const Activation& act) {
  const bool swap = a_block != 1;  // then b is the full operand
  const float* full = swap ? b : a;
  const float* per_block = swap ? a : b;
  const int64_t block = swap ? a_block : b_block;
  auto body = [&](int64_t o0, int64_t o1) {
    blocks(op, full, per_block, block, swap, y, o0, o1);
    // The activation over the chunk just written, while it is in cache.
    if (!act.none()) apply_bias_activation(y + o0, o1 - o0, 0.0f, act);
  };
  if (ctx && n >= (int64_t{1} << 15))
    ctx->parallel_for(n, body, int64_t{1} << 14);
  else
    body(0, n);
}

}  // namespace

void binary_blocks(BinaryKind kind, float (*f)(float, float), const float* a, int64_t a_block,
                   const float* b, int64_t b_block, float* y, int64_t n, const ExecContext* ctx,
                   const Activation& act) {
  switch (kind) {
    case BinaryKind::add:
      return dispatch([](float u, float v) { return u + v; }, a, a_block, b, b_block, y, n, ctx,
                      act);
    case BinaryKind::sub:
      return dispatch([](float u, float v) { return u - v; }, a, a_block, b, b_block, y, n, ctx,
                      act);
    case BinaryKind::mul:
      return dispatch([](float u, float v) { return u * v; }, a, a_block, b, b_block, y, n, ctx,
                      act);
    case BinaryKind::div:
      return dispatch([](float u, float v) { return u / v; }, a, a_block, b, b_block, y, n, ctx,
                      act);
    case BinaryKind::other:
      return dispatch(f, a, a_block, b, b_block, y, n, ctx, act);
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

namespace {

// The loops of binary_grad_blocks and unary_grad, compiled for the CPU's widest vectors.
HEATLENS_CPU_CLONES void mul_rows(const float* __restrict g, const float* __restrict f, int64_t n,
                                  float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] * f[i];
}

HEATLENS_CPU_CLONES void scale_row(const float* __restrict g, float s, int64_t n,
                                   float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = g[i] * s;
}

// Σ g[i]·f[i] (f null: Σ g[i]) in sixteen partial sums, so it vectorises without reassociating
// one sum; the sums are in double, as the per-element path's (blocks are whole feature maps).
HEATLENS_CPU_CLONES double dot_row(const float* __restrict g, const float* __restrict f,
                                   int64_t n) {
  double part[16] = {};
  int64_t i = 0;
  if (f) {
    for (; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l) part[l] += static_cast<double>(g[i + l] * f[i + l]);
  } else {
    for (; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l) part[l] += static_cast<double>(g[i + l]);
  }
  double sum = 0;
  for (; i < n; ++i) sum += static_cast<double>(f ? g[i] * f[i] : g[i]);
  for (int l = 0; l < 16; ++l) sum += part[l];
  return sum;
}

HEATLENS_CPU_CLONES void relu_grad_rows(const float* __restrict x, const float* __restrict g,
                                        int64_t n, float* __restrict d) {
  for (int64_t i = 0; i < n; ++i) {
    const float xi = x[i], gi = g[i];
    d[i] = xi > 0.0f ? gi : 0.0f;
  }
}

HEATLENS_CPU_CLONES void sigmoid_grad_rows(const float* __restrict y, const float* __restrict g,
                                           int64_t n, float* __restrict d) {
  for (int64_t i = 0; i < n; ++i) d[i] = g[i] * y[i] * (1.0f - y[i]);
}

HEATLENS_CPU_CLONES void tanh_grad_rows(const float* __restrict y, const float* __restrict g,
                                        int64_t n, float* __restrict d) {
  for (int64_t i = 0; i < n; ++i) d[i] = g[i] * (1.0f - y[i] * y[i]);
}

void split(int64_t n, int64_t min_chunk, const ExecContext* ctx,
           const std::function<void(int64_t, int64_t)>& body) {
  if (ctx && n > min_chunk)
    ctx->parallel_for(n, body, min_chunk);
  else
    body(0, n);
}

}  // namespace

void binary_grad_blocks(const float* g, const float* factor, int64_t factor_block,
                        int64_t own_block, float* grad, int64_t n, const ExecContext* ctx) {
  if (own_block == 1 && factor_block <= 1) {
    // Both full: element by element, in chunks.
    split(n, 16384, ctx, [&](int64_t o0, int64_t o1) {
      if (factor)
        mul_rows(g + o0, factor + o0, o1 - o0, grad + o0);
      else
        std::memcpy(grad + o0, g + o0, static_cast<size_t>(o1 - o0) * sizeof(float));
    });
    return;
  }
  HEATLENS_CHECK(own_block == 1 || factor_block <= 1, "one operand of a block pair is full");
  const int64_t block = std::max(own_block, factor_block);
  split(n / block, std::max<int64_t>(1, 16384 / block), ctx, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const float* gq = g + q * block;
      if (own_block == 1)  // the factor is constant over the block
        scale_row(gq, factor ? factor[q] : 1.0f, block, grad + q * block);
      else  // the factor is full (or absent)
        grad[q] = static_cast<float>(dot_row(gq, factor ? factor + q * block : nullptr, block));
    }
  });
}

void binary_grad_blocks_reference(const float* g, const float* factor, int64_t factor_block,
                                  int64_t own_block, float* grad, int64_t n) {
  if (own_block > 1) std::fill(grad, grad + n / own_block, 0.0f);
  std::vector<double> sums(static_cast<size_t>(own_block > 1 ? n / own_block : 0), 0.0);
  for (int64_t o = 0; o < n; ++o) {
    const float f = factor ? factor[o / std::max<int64_t>(factor_block, 1)] : 1.0f;
    if (own_block == 1)
      grad[o] = g[o] * f;
    else
      sums[static_cast<size_t>(o / own_block)] += static_cast<double>(g[o]) * f;
  }
  for (size_t q = 0; q < sums.size(); ++q) grad[q] = static_cast<float>(sums[q]);
}

double sum_floats(const float* x, int64_t n) {
  return dot_row(x, nullptr, n);
}

HEATLENS_CPU_CLONES void stabilized_divide(const float* __restrict r, const float* __restrict z,
                                           float epsilon, int64_t n, float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) {
    const float d = z[i] + (z[i] >= 0.0f ? epsilon : -epsilon);
    const float q = r[i] / (d == 0.0f ? 1.0f : d);  // no division by 0, so no branch
    out[i] = d == 0.0f ? 0.0f : q;
  }
}

void multiply_floats(const float* a, const float* b, int64_t n, float* out) {
  mul_rows(a, b, n, out);
}

HEATLENS_CPU_CLONES void add_floats(const float* __restrict a, const float* __restrict b, int64_t n,
                                    float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

HEATLENS_CPU_CLONES void combine_floats(float p, const float* __restrict a, float q,
                                        const float* __restrict b, int64_t n,
                                        float* __restrict out) {
  const double pd = p, qd = q;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(pd * a[i] + qd * b[i]);
}

HEATLENS_CPU_CLONES void split_multiply(const float* __restrict x, const float* __restrict a,
                                        const float* __restrict c, int64_t n,
                                        float* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * (x[i] > 0.0f ? a[i] : c[i]);
}

HEATLENS_CPU_CLONES bool any_negative(const float* __restrict x, int64_t n) {
  int32_t count = 0;  // a counted reduction vectorises where an early exit does not
  for (int64_t i = 0; i < n; ++i) count += x[i] < 0.0f ? 1 : 0;
  return count > 0;
}

namespace {

HEATLENS_CPU_CLONES void silu_grad_rows(const float* __restrict g, const float* __restrict x,
                                        const float* __restrict s, int64_t n,
                                        float* __restrict dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * s[i] + (g[i] * x[i]) * (s[i] * (1.0f - s[i]));
}

}  // namespace

void apply_in_place(float* x, int64_t n, const Activation& act, const ExecContext* ctx) {
  split(n, 16384, ctx,
        [&](int64_t o0, int64_t o1) { apply_bias_activation(x + o0, o1 - o0, 0.0f, act); });
}

void copy_floats(const float* x, int64_t n, float* y, const ExecContext* ctx) {
  split(n, 16384, ctx, [&](int64_t o0, int64_t o1) { std::copy(x + o0, x + o1, y + o0); });
}

void apply_activation(const float* x, int64_t n, const Activation& act, float* y,
                      const ExecContext* ctx) {
  split(n, 16384, ctx, [&](int64_t o0, int64_t o1) {
    std::copy(x + o0, x + o1, y + o0);
    apply_bias_activation(y + o0, o1 - o0, 0.0f, act);
  });
}

void silu_grad(const float* g, const float* x, const float* s, int64_t n, float* dx,
               const ExecContext* ctx) {
  split(n, 16384, ctx, [&](int64_t o0, int64_t o1) {
    if (s) {
      silu_grad_rows(g + o0, x + o0, s + o0, o1 - o0, dx + o0);
      return;
    }
    // σ(x) recomputed a cache-sized piece at a time, as the Sigmoid node computes it.
    constexpr int64_t kPiece = 1024;
    float sigma[kPiece];
    for (int64_t p0 = o0; p0 < o1; p0 += kPiece) {
      const int64_t m = std::min(kPiece, o1 - p0);
      apply_activation(x + p0, m, Activation::sigmoid(), sigma, nullptr);
      silu_grad_rows(g + p0, x + p0, sigma, m, dx + p0);
    }
  });
}

void silu_grad_reference(const float* g, const float* x, const float* s, int64_t n, float* dx) {
  for (int64_t i = 0; i < n; ++i) {
    const float through_mul = g[i] * s[i];                          // ∂(x·s)/∂x
    const float through_sigmoid = g[i] * x[i] * s[i] * (1 - s[i]);  // ∂(x·s)/∂s · σ'(x)
    dx[i] = through_mul + through_sigmoid;
  }
}

bool unary_grad(UnaryKind kind, const float* saved, const float* g, float* d, int64_t n,
                const ExecContext* ctx) {
  void (*rows)(const float*, const float*, int64_t, float*) = nullptr;
  if (kind == UnaryKind::relu) rows = relu_grad_rows;
  if (kind == UnaryKind::sigmoid) rows = sigmoid_grad_rows;
  if (kind == UnaryKind::tanh) rows = tanh_grad_rows;
  if (!rows) return false;
  split(n, 16384, ctx, [&](int64_t o0, int64_t o1) { rows(saved + o0, g + o0, o1 - o0, d + o0); });
  return true;
}

}  // namespace heatlens
