// The register-blocked inner loop of f32_gemm, one per instruction set. This header includes
// nothing from the library, so the AVX2 file that defines one shares no inline code with the
// portable paths (it is compiled with -mavx2 -mfma).
#pragma once

#include <cstdint>

namespace heatlens {

// C[mr×nr] = (accumulate ? C : 0) + Σ_p a[p·mr + i]·b[p·nr + j], over a full tile.
// run_rows, where a kernel has it, does the same for the first `rows` (< mr) rows only, so the
// last panel of A costs its own rows and not mr (64 channels are 5⅓ panels of 12). run_edge,
// where a kernel has it, reads and writes only the first `rows` ≤ mr rows and `cols` ≤ nr
// columns of C (masked), so a map's last, partial strip needs no copy of its tile (7×7 = 49
// columns are one strip of 32 and one of 17).
struct MicroKernel {
  const char* name;
  int mr, nr;
  void (*run)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);
  void (*run_rows)(int rows, int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                   bool accumulate) = nullptr;
  void (*run_edge)(int rows, int cols, int64_t kc, const float* a, const float* b, float* c,
                   int64_t ldc, bool accumulate) = nullptr;
};

// Micro-kernels by instruction set (gemm_avx512.cpp, gemm_avx2.cpp, gemm_wasm_simd.cpp); null
// where the build or the CPU lacks them.
const MicroKernel* avx512_kernel();
const MicroKernel* avx2_kernel();
// The machine's FMA peak for `heatlens bench --peak`: `iterations` × 12 independent 8-wide
// FMAs (192 flops each); call only where avx2_kernel() is not null. Returns a value that keeps
// the work from being optimised away.
float avx2_fma_probe(int64_t iterations);
// The same with 16-wide AVX-512 FMAs (384 flops per iteration); only where avx512_kernel() is
// not null.
float avx512_fma_probe(int64_t iterations);
const MicroKernel* wasm_simd_kernel();

}  // namespace heatlens
