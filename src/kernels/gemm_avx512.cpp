// The AVX-512 micro-kernel: a 12×32 tile of C in twenty-four zmm registers; per step of K, two
// loads of B and twelve broadcasts of A feed twenty-four FMAs (the AVX2 kernel's 6×16 scheme
// at twice the width and rows). Like gemm_avx2.cpp, this file alone is compiled with
// -mavx512f (CMakeLists.txt), is only called after the CPU reported AVX-512F, and uses no
// inline library code.
#include "kernels/micro_kernel.h"

#if defined(HEATLENS_HAVE_AVX512_KERNEL)
#include <immintrin.h>
#endif

namespace heatlens {

#if defined(HEATLENS_HAVE_AVX512_KERNEL)

namespace {

constexpr int kRows = 12;

// Rows of C computed: kRows for a full panel, fewer for the last one (the panel's stride in A
// stays kRows). Masked: only the columns in the masks (first and second 16) are read and
// written.
template <int Rows, bool Masked>
void tile_x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
              __mmask16 m0, __mmask16 m1) {
  __m512 acc[Rows][2];
  // C's rows are far apart (a row of the output map each) and too many for the hardware
  // prefetcher to follow; asking for them now hides their trip from L3 behind the loop.
#pragma GCC unroll 12
  for (int i = 0; i < Rows; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + 31, 1, 3);
  }
#pragma GCC unroll 12
  for (int i = 0; i < Rows; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __builtin_prefetch(a + 8 * kRows, 0, 3);  // A's panel streams in from L2 or L3
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < Rows; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += kRows;
    b += 32;
  }
#pragma GCC unroll 12
  for (int i = 0; i < Rows; ++i) {
    float* row = c + i * ldc;
    if (Masked) {
      if (accumulate) {
        acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, row));
        acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, row + 16));
      }
      _mm512_mask_storeu_ps(row, m0, acc[i][0]);
      _mm512_mask_storeu_ps(row + 16, m1, acc[i][1]);
      continue;
    }
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(row));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(row + 16));
    }
    _mm512_storeu_ps(row, acc[i][0]);
    _mm512_storeu_ps(row + 16, acc[i][1]);
  }
}

template <int Rows>
void kernel_rows_x32(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                     bool accumulate) {
  tile_x32<Rows, false>(kc, a, b, c, ldc, accumulate, 0xFFFF, 0xFFFF);
}

// The first 16 columns of a strip only (B's strips stay 32 wide), C masked to `m0`: a last strip
// of at most 16 columns (196 = 6 × 32 + 4, 169 = 5 × 32 + 9) costs half a full tile's FMAs.
template <int Rows>
void tile_x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
              __mmask16 m0) {
  __m512 acc[Rows];
#pragma GCC unroll 12
  for (int i = 0; i < Rows; ++i) acc[i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
#pragma GCC unroll 12
    for (int i = 0; i < Rows; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, acc[i]);
    a += kRows;
    b += 32;
  }
#pragma GCC unroll 12
  for (int i = 0; i < Rows; ++i) {
    float* row = c + i * ldc;
    if (accumulate) acc[i] = _mm512_add_ps(acc[i], _mm512_maskz_loadu_ps(m0, row));
    _mm512_mask_storeu_ps(row, m0, acc[i]);
  }
}

template <int Rows>
void kernel_masked(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                   bool accumulate, __mmask16 m0, __mmask16 m1) {
  if (m1 == 0)
    tile_x16<Rows>(kc, a, b, c, ldc, accumulate, m0);
  else
    tile_x32<Rows, true>(kc, a, b, c, ldc, accumulate, m0, m1);
}

// Any tile of at most 12 rows and 32 columns, C masked to it.
void kernel_edge(int rows, int cols, int64_t kc, const float* a, const float* b, float* c,
                 int64_t ldc, bool accumulate) {
  using Fn =
      void (*)(int64_t, const float*, const float*, float*, int64_t, bool, __mmask16, __mmask16);
  static constexpr Fn by_rows[kRows + 1] = {
      nullptr,           kernel_masked<1>,  kernel_masked<2>, kernel_masked<3>, kernel_masked<4>,
      kernel_masked<5>,  kernel_masked<6>,  kernel_masked<7>, kernel_masked<8>, kernel_masked<9>,
      kernel_masked<10>, kernel_masked<11>, kernel_masked<12>};
  const auto mask = [](int n) {
    return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
  };
  by_rows[rows](kc, a, b, c, ldc, accumulate, mask(cols), mask(cols - 16));
}

void kernel_partial(int rows, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                    bool accumulate) {
  using Fn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool);
  static constexpr Fn by_rows[kRows] = {nullptr,
                                        kernel_rows_x32<1>,
                                        kernel_rows_x32<2>,
                                        kernel_rows_x32<3>,
                                        kernel_rows_x32<4>,
                                        kernel_rows_x32<5>,
                                        kernel_rows_x32<6>,
                                        kernel_rows_x32<7>,
                                        kernel_rows_x32<8>,
                                        kernel_rows_x32<9>,
                                        kernel_rows_x32<10>,
                                        kernel_rows_x32<11>};
  by_rows[rows](kc, a, b, c, ldc, accumulate);
}

const MicroKernel kAvx512{"avx512f 12x32",        kRows,          32,
                          kernel_rows_x32<kRows>, kernel_partial, kernel_edge};

}  // namespace

float avx512_fma_probe(int64_t iterations) {
  __m512 c0 = _mm512_set1_ps(0.1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
         c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-4f);
  for (int64_t i = 0; i < iterations; ++i) {
    c0 = _mm512_fmadd_ps(c0, x, y);
    c1 = _mm512_fmadd_ps(c1, x, y);
    c2 = _mm512_fmadd_ps(c2, x, y);
    c3 = _mm512_fmadd_ps(c3, x, y);
    c4 = _mm512_fmadd_ps(c4, x, y);
    c5 = _mm512_fmadd_ps(c5, x, y);
    c6 = _mm512_fmadd_ps(c6, x, y);
    c7 = _mm512_fmadd_ps(c7, x, y);
    c8 = _mm512_fmadd_ps(c8, x, y);
    c9 = _mm512_fmadd_ps(c9, x, y);
    c10 = _mm512_fmadd_ps(c10, x, y);
    c11 = _mm512_fmadd_ps(c11, x, y);
    // Keeps the twelve chains in registers and the loop from being folded.
    __asm__ volatile(""
                     : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5), "+v"(c6),
                       "+v"(c7), "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11));
  }
  __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  return lanes[0];
}

const MicroKernel* avx512_kernel() {
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported ? &kAvx512 : nullptr;
}

#else

const MicroKernel* avx512_kernel() {
  return nullptr;
}

float avx512_fma_probe(int64_t) {
  return 0.0f;
}

#endif

}  // namespace heatlens
