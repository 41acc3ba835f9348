// Element-wise maps over host tensors, split over the engine's threads: the arithmetic of the
// LRP passes on the CPU (explain/lrp.cpp, explain/lrp_rules.cpp), which would otherwise run on
// one core while the pool's workers wait.
//   Tensor r = map_elements(a, b, [](float x, float y) { return x * y; }, ctx);
#pragma once

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "kernels/elementwise.h"
#include "ops/op.h"

namespace heatlens {

constexpr int64_t kElementChunk = 16384;  // elements per task: a few microseconds of work

template <class F>
Tensor map_elements(const Tensor& a, F f, const ExecContext& ctx) {
  Tensor out = Tensor::uninitialized(a.shape());
  const float* x = a.f32();
  float* o = out.f32();
  ctx.parallel_for(
      a.numel(),
      [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) o[i] = f(x[i]);
      },
      kElementChunk);
  return out;
}

template <class F>
Tensor map_elements(const Tensor& a, const Tensor& b, F f, const ExecContext& ctx) {
  Tensor out = Tensor::uninitialized(a.shape());
  const float* x = a.f32();
  const float* y = b.f32();
  float* o = out.f32();
  ctx.parallel_for(
      a.numel(),
      [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], y[i]);
      },
      kElementChunk);
  return out;
}

// out = f(a, b) chunk by chunk, f(const float* a, const float* b, int64_t n, float* out) a
// vectorised kernel from kernels/elementwise.h; split over the threads.
template <class F>
Tensor map_chunks(const Tensor& a, const Tensor& b, F f, const ExecContext& ctx) {
  Tensor out = Tensor::uninitialized(a.shape());
  const float* x = a.f32();
  const float* y = b.f32();
  float* o = out.f32();
  ctx.parallel_for(
      a.numel(), [&](int64_t lo, int64_t hi) { f(x + lo, y + lo, hi - lo, o + lo); },
      kElementChunk);
  return out;
}

// Whether any element is negative (NaN is not).
inline bool any_negative(const Tensor& a, const ExecContext& ctx) {
  std::atomic<bool> found{false};
  const float* x = a.f32();
  ctx.parallel_for(
      a.numel(),
      [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e && !found.load(std::memory_order_relaxed); c += kElementChunk) {
          if (any_negative(x + c, std::min(e, c + kElementChunk) - c)) found = true;
        }
      },
      kElementChunk);
  return found;
}

// Σ elements in double, in fixed chunks summed in order, so the result does not depend on the
// number of threads.
inline double sum_elements(const Tensor& a, const ExecContext& ctx) {
  const int64_t n = a.numel(), chunks = (n + kElementChunk - 1) / kElementChunk;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  const float* x = a.f32();
  ctx.parallel_for(chunks, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const int64_t begin = c * kElementChunk;
      partial[static_cast<size_t>(c)] =
          sum_floats(x + begin, std::min(n, begin + kElementChunk) - begin);
    }
  });
  double sum = 0;
  for (double s : partial) sum += s;
  return sum;
}

inline Tensor multiply(const Tensor& a, const Tensor& b, const ExecContext& ctx) {
  return map_chunks(a, b, multiply_floats, ctx);
}

// x_k · r / (z + ε·sign z) for each x_k of `xs` (shaped like r and z), in one pass: Zennit's Norm
// rule at a sum z = Σ x_k. The ratio is made a block at a time beside the inputs, never written
// out, and each share rounds as multiply(x_k, stabilized_ratio(r, z, ε)) does. An undefined z
// (a forward that did not keep it) is x_0 + x_1, made a block at a time as the Add rounds it.
inline Tensors sum_shares(const Tensor& r, const Tensor& z, float epsilon, const Tensors& xs,
                          const ExecContext& ctx) {
  HEATLENS_CHECK(z.defined() || xs.size() == 2,
                 "sum_shares: a sum of " << xs.size() << " values was not kept");
  Tensors out;
  for (size_t k = 0; k < xs.size(); ++k) out.push_back(Tensor::uninitialized(r.shape()));
  const float *pr = r.f32(), *pz = z.defined() ? z.f32() : nullptr;
  ctx.parallel_for(
      r.numel(),
      [&](int64_t lo, int64_t hi) {
        constexpr int64_t kBlock = 1024;  // the ratio's and the sum's blocks stay in L1
        float s[kBlock], sum[kBlock];
        for (int64_t i = lo; i < hi; i += kBlock) {
          const int64_t n = std::min(kBlock, hi - i);
          if (!pz) add_floats(xs[0].f32() + i, xs[1].f32() + i, n, sum);
          stabilized_divide(pr + i, pz ? pz + i : sum, epsilon, n, s);
          for (size_t k = 0; k < xs.size(); ++k)
            multiply_floats(xs[k].f32() + i, s, n, out[k].f32() + i);
        }
      },
      kElementChunk);
  return out;
}

// x⁺·a + x⁻·c in one pass (LRP's rules on signed inputs).
inline Tensor split_product(const Tensor& x, const Tensor& a, const Tensor& c,
                            const ExecContext& ctx) {
  Tensor out = Tensor::uninitialized(x.shape());
  const float *px = x.f32(), *pa = a.f32(), *pc = c.f32();
  float* o = out.f32();
  ctx.parallel_for(
      x.numel(),
      [&](int64_t lo, int64_t hi) { split_multiply(px + lo, pa + lo, pc + lo, hi - lo, o + lo); },
      kElementChunk);
  return out;
}

inline Tensor add(const Tensor& a, const Tensor& b, const ExecContext& ctx) {
  return map_chunks(
      a, b,
      [](const float* x, const float* y, int64_t n, float* o) { combine_floats(1, x, 1, y, n, o); },
      ctx);
}

}  // namespace heatlens
