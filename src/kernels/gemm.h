// f32 matrix multiplication: C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose or not.
//
// f32_gemm is the blocked, threaded path; f32_gemm_reference is the plain triple loop it is
// tested against (tests/unit/gemm_test.cpp, including tile boundaries and odd shapes).
//
//   f32_gemm(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N, &ctx);
#pragma once

#include <cstdint>

#include "ops/op.h"

namespace heatlens {

void f32_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc, const ExecContext* ctx);

void f32_gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc);

}  // namespace heatlens
