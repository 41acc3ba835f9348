// f32 matrix multiplication: C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose or not.
//
// f32_gemm packs A into row panels and B into column strips and runs a register-blocked
// micro-kernel over them (BLIS-style: K blocks that fit L2, B strips that stay in L1). The
// micro-kernel is chosen once at start-up: AVX2+FMA where the CPU has it (runtime check, the
// kernel is compiled for AVX2 in its own file), WebAssembly SIMD128 in the wasm builds, and a
// portable one otherwise. f32_gemm_reference is the plain triple loop every kernel is tested
// against (tests/unit/gemm_test.cpp: tile boundaries, odd shapes, transposes, epilogues).
//
//   f32_gemm(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N, &ctx);
//
// Weights that multiply many inputs are packed once (pack_a) and reused by f32_gemm_packed,
// which can also add a per-row bias and apply an activation to each finished tile.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/activation.h"
#include "kernels/micro_kernel.h"
#include "ops/op.h"

namespace heatlens {

// The kernel f32_gemm uses (HEATLENS_GEMM_KERNEL=generic forces the portable one).
const MicroKernel& gemm_kernel();
// Every kernel this CPU can run, the active one first (tests compare each to the reference).
std::vector<const MicroKernel*> gemm_kernels();

// A packed into the panels of one micro-kernel, with alpha applied.
struct PackedA {
  const MicroKernel* kernel = nullptr;
  int64_t m = 0, k = 0;
  std::unique_ptr<float[]> data;  // ⌈m/mr⌉·mr × k: panels of mr rows per K block
};

// Packs alpha·A (m × k; stored k × m when trans_a) for the micro-kernel, split over panels on
// ctx's threads when given.
PackedA pack_a(const MicroKernel& kernel, bool trans_a, int64_t m, int64_t k, float alpha,
               const float* a, int64_t lda, const ExecContext* ctx = nullptr);

// What happens to each element of C once its sum is complete: c = act(c + row_bias[i]).
struct Epilogue {
  const float* row_bias = nullptr;
  Activation activation;
};

// Where B comes from: packs B[p0:p0+kc, j0:j0+nc] into ⌈nc/nr⌉ strips of kc × nr floats
// (row p of a strip at p·nr, zero-padded past nc). A matrix is one source; a convolution's
// input read as its im2col matrix, without writing that matrix, is another (conv_gemm.h).
class BSource {
 public:
  virtual ~BSource() = default;
  virtual void pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const = 0;
};

// C[m, n] = A·B + beta·C, then the epilogue, with A packed by pack_a.
void f32_gemm_packed(const PackedA& a, int64_t n, const BSource& b, float beta, float* c,
                     int64_t ldc, const Epilogue& epilogue, const ExecContext* ctx);

// C = A·op(B) + beta·C, then the epilogue, with A packed by pack_a.
void f32_gemm_packed(const PackedA& a, int64_t n, bool trans_b, const float* b, int64_t ldb,
                     float beta, float* c, int64_t ldc, const Epilogue& epilogue,
                     const ExecContext* ctx);

void f32_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc, const ExecContext* ctx);

// The same with a chosen micro-kernel (tests).
void f32_gemm_with(const MicroKernel& kernel, bool trans_a, bool trans_b, int64_t m, int64_t n,
                   int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float beta, float* c, int64_t ldc, const ExecContext* ctx);

void f32_gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc);

}  // namespace heatlens
