// Compiled with -mavx2 -mfma (CMakeLists.txt); called only after the CPU reported both.
#include "kernels/sigmoid_avx2.h"

#if defined(HEATLENS_HAVE_AVX2_KERNEL)
#include <immintrin.h>
#endif

namespace heatlens {

#if defined(HEATLENS_HAVE_AVX2_KERNEL)

namespace {

// exp(x) for x in [lo, hi]: the same range reduction and Cephes coefficients as exp_approx in
// activation.cpp, with fused multiply-adds.
inline __m256 exp8(__m256 x, __m256 lo, __m256 hi) {
  x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
  const __m256 n = _mm256_sub_ps(shifted, magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
  // er = 1 + r + r²·q(r) with q's degree-5 polynomial evaluated by Estrin's scheme: the loop is
  // bound by the length of each element's dependency chain (Zen 2's FP scheduler holds only a
  // few elements' chains at once), and Estrin's is three steps deep where Horner's is six.
  const __m256 r2 = _mm256_mul_ps(r, r), r4 = _mm256_mul_ps(r2, r2);
  const __m256 q01 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.6666665459e-1f), r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 q23 =
      _mm256_fmadd_ps(_mm256_set1_ps(8.3334519073e-3f), r, _mm256_set1_ps(4.1665795894e-2f));
  const __m256 q45 =
      _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r, _mm256_set1_ps(1.3981999507e-3f));
  const __m256 q = _mm256_fmadd_ps(q45, r4, _mm256_fmadd_ps(q23, r2, q01));
  const __m256 er = _mm256_fmadd_ps(q, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // The low bits of `shifted` hold round(x·log2 e); 2ⁿ is built in the exponent bits.
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
  const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(er, _mm256_castsi256_ps(scale));
}

template <bool Silu>
inline __m256 sigmoid8(__m256 v, __m256 lo, __m256 hi, __m256 zero_below) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 d = _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), v), lo, hi));
  // One division (v / d for SiLU): the reciprocal estimate with a Newton step was slower, its
  // three dependent steps lengthening the chain more than the divide does.
  const __m256 y = _mm256_div_ps(Silu ? v : one, d);
  return _mm256_andnot_ps(_mm256_cmp_ps(v, zero_below, _CMP_LT_OQ), y);
}

template <bool Silu>
void loop(float* x, int64_t n, float bias, float lo, float hi, float zero_below) {
  const __m256 b = _mm256_set1_ps(bias), l = _mm256_set1_ps(lo), h = _mm256_set1_ps(hi);
  const __m256 z = _mm256_set1_ps(zero_below);
  int64_t i = 0;
  // Four independent vectors per step: one is a chain of some thirty dependent instructions,
  // and out-of-order execution alone overlapped too few of them.
  for (; i + 32 <= n; i += 32) {
    __m256 v[4];
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) v[u] = _mm256_add_ps(_mm256_loadu_ps(x + i + 8 * u), b);
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) _mm256_storeu_ps(x + i + 8 * u, sigmoid8<Silu>(v[u], l, h, z));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_add_ps(_mm256_loadu_ps(x + i), b);
    _mm256_storeu_ps(x + i, sigmoid8<Silu>(v, l, h, z));
  }
  if (i < n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 v = _mm256_add_ps(_mm256_maskload_ps(x + i, mask), b);
    _mm256_maskstore_ps(x + i, mask, sigmoid8<Silu>(v, l, h, z));
  }
}

void sigmoid_loop(float* x, int64_t n, float bias, bool silu, float lo, float hi,
                  float zero_below) {
  if (silu)
    loop<true>(x, n, bias, lo, hi, zero_below);
  else
    loop<false>(x, n, bias, lo, hi, zero_below);
}

}  // namespace

SigmoidLoop avx2_sigmoid_loop() {
  // Not on AVX-512 CPUs: there the portable loop's 16-wide clone is the one that was measured
  // (0.36 ns an element); this 8-wide loop was only measured on Zen 2.
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                !__builtin_cpu_supports("avx512f");
  return supported ? sigmoid_loop : nullptr;
}

#else

SigmoidLoop avx2_sigmoid_loop() {
  return nullptr;
}

#endif

}  // namespace heatlens
