// The AVX2 + FMA micro-kernel: a 6×16 tile of C in twelve ymm registers; per step of K, two
// loads of B and six broadcasts of A feed twelve FMAs. This file alone is compiled with
// -mavx2 -mfma (CMakeLists.txt) and is only called after the CPU reported both; it uses no
// inline library code, so nothing AVX2-compiled can be shared with the portable paths.
#include "kernels/micro_kernel.h"

#if defined(HEATLENS_HAVE_AVX2_KERNEL)
#include <immintrin.h>
#endif

namespace heatlens {

#if defined(HEATLENS_HAVE_AVX2_KERNEL)

namespace {

constexpr int kRows = 6;

// Rows of C computed: kRows for a full panel, fewer for the last one (the panel's stride in A
// stays kRows). Vecs: how many of the two 8-column halves are computed (one for a last strip of
// at most 8 columns: 7×7 = 49 columns end in a strip of one, which then costs half a tile, not
// a whole one). Masked: only the columns in the masks are read and written.
template <int Rows, int Vecs, bool Masked>
void tile_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
               __m256i m0, __m256i m1) {
  __m256 acc[Rows][2];
  // C's rows are far apart (a row of the output map each) and too many for the hardware
  // prefetcher to follow; asking for them now hides their trip from L3 behind the loop.
#pragma GCC unroll 6
  for (int i = 0; i < Rows; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + 8 * Vecs - 1, 1, 3);
  }
#pragma GCC unroll 6
  for (int i = 0; i < Rows; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __builtin_prefetch(a + 8 * kRows, 0, 3);  // A's panel streams in from L2 or L3
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = Vecs == 2 ? _mm256_loadu_ps(b + 8) : b0;
#pragma GCC unroll 6
    for (int i = 0; i < Rows; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
      if (Vecs == 2) acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kRows;
    b += 16;
  }
#pragma GCC unroll 6
  for (int i = 0; i < Rows; ++i) {
    float* row = c + i * ldc;
    if (Masked) {
      if (accumulate) acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_maskload_ps(row, m0));
      _mm256_maskstore_ps(row, m0, acc[i][0]);
      if (Vecs == 2) {
        if (accumulate) acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_maskload_ps(row + 8, m1));
        _mm256_maskstore_ps(row + 8, m1, acc[i][1]);
      }
      continue;
    }
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(row));
      if (Vecs == 2) acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[i][0]);
    if (Vecs == 2) _mm256_storeu_ps(row + 8, acc[i][1]);
  }
}

template <int Rows>
void kernel_rows(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                 bool accumulate) {
  const __m256i all = _mm256_set1_epi32(-1);
  tile_6x16<Rows, 2, false>(kc, a, b, c, ldc, accumulate, all, all);
}

template <int Rows, int Vecs>
void kernel_masked(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                   bool accumulate, __m256i m0, __m256i m1) {
  tile_6x16<Rows, Vecs, true>(kc, a, b, c, ldc, accumulate, m0, m1);
}

// Lanes [0, n) of an 8-float mask.
__m256i first_lanes(int n) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
}

// Any tile of at most 6 rows and 16 columns, C masked to it.
void kernel_edge(int rows, int cols, int64_t kc, const float* a, const float* b, float* c,
                 int64_t ldc, bool accumulate) {
  using Fn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool, __m256i, __m256i);
  static constexpr Fn one_vec[kRows + 1] = {nullptr,
                                            kernel_masked<1, 1>,
                                            kernel_masked<2, 1>,
                                            kernel_masked<3, 1>,
                                            kernel_masked<4, 1>,
                                            kernel_masked<5, 1>,
                                            kernel_masked<6, 1>};
  static constexpr Fn two_vecs[kRows + 1] = {nullptr,
                                             kernel_masked<1, 2>,
                                             kernel_masked<2, 2>,
                                             kernel_masked<3, 2>,
                                             kernel_masked<4, 2>,
                                             kernel_masked<5, 2>,
                                             kernel_masked<6, 2>};
  (cols > 8 ? two_vecs : one_vec)[rows](kc, a, b, c, ldc, accumulate, first_lanes(cols),
                                        first_lanes(cols - 8));
}

void kernel_partial(int rows, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                    bool accumulate) {
  using Fn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool);
  static constexpr Fn by_rows[kRows] = {nullptr,        kernel_rows<1>, kernel_rows<2>,
                                        kernel_rows<3>, kernel_rows<4>, kernel_rows<5>};
  by_rows[rows](kc, a, b, c, ldc, accumulate);
}

const MicroKernel kAvx2{"avx2-fma 6x16",    kRows,          16,
                        kernel_rows<kRows>, kernel_partial, kernel_edge};

}  // namespace

float avx2_fma_probe(int64_t iterations) {
  __m256 c0 = _mm256_set1_ps(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
         c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-4f);
  for (int64_t i = 0; i < iterations; ++i) {
    c0 = _mm256_fmadd_ps(c0, x, y);
    c1 = _mm256_fmadd_ps(c1, x, y);
    c2 = _mm256_fmadd_ps(c2, x, y);
    c3 = _mm256_fmadd_ps(c3, x, y);
    c4 = _mm256_fmadd_ps(c4, x, y);
    c5 = _mm256_fmadd_ps(c5, x, y);
    c6 = _mm256_fmadd_ps(c6, x, y);
    c7 = _mm256_fmadd_ps(c7, x, y);
    c8 = _mm256_fmadd_ps(c8, x, y);
    c9 = _mm256_fmadd_ps(c9, x, y);
    c10 = _mm256_fmadd_ps(c10, x, y);
    c11 = _mm256_fmadd_ps(c11, x, y);
    // Keeps the twelve chains in registers and the loop from being folded.
    __asm__ volatile(""
                     : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5), "+x"(c6),
                       "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
  }
  __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
  sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
  return _mm_cvtss_f32(_mm256_castps256_ps128(sum));
}

const MicroKernel* avx2_kernel() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported ? &kAvx2 : nullptr;
}

#else

const MicroKernel* avx2_kernel() {
  return nullptr;
}

#endif

}  // namespace heatlens
