#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

namespace heatlens {

void f32_gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += static_cast<double>(av) * bv;
      }
      float prior = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
      c[i * ldc + j] = alpha * static_cast<float>(sum) + prior;
    }
  }
}

namespace {

constexpr int64_t kBlockK = 256;  // rows of B kept hot in cache
constexpr int64_t kBlockN = 512;  // columns of B and C per panel
constexpr int64_t kRows = 4;      // rows of C computed together (each B row loaded once)

// C[rows, nc] += A_block[rows, kc] · Bp[kc, nc]; A is read through (a, lda, trans_a).
void panel_kernel(int64_t rows, int64_t nc, int64_t kc, const float* a_cols, int64_t a_row_step,
                  int64_t a_col_step, const float* bp, float* c, int64_t ldc, float alpha) {
  int64_t i = 0;
  for (; i + kRows <= rows; i += kRows) {
    float* c0 = c + (i + 0) * ldc;
    float* c1 = c + (i + 1) * ldc;
    float* c2 = c + (i + 2) * ldc;
    float* c3 = c + (i + 3) * ldc;
    for (int64_t p = 0; p < kc; ++p) {
      const float* a_p = a_cols + p * a_col_step;
      const float v0 = alpha * a_p[(i + 0) * a_row_step];
      const float v1 = alpha * a_p[(i + 1) * a_row_step];
      const float v2 = alpha * a_p[(i + 2) * a_row_step];
      const float v3 = alpha * a_p[(i + 3) * a_row_step];
      const float* brow = bp + p * nc;
      for (int64_t j = 0; j < nc; ++j) {
        const float bv = brow[j];
        c0[j] += v0 * bv;
        c1[j] += v1 * bv;
        c2[j] += v2 * bv;
        c3[j] += v3 * bv;
      }
    }
  }
  for (; i < rows; ++i) {
    float* ci = c + i * ldc;
    for (int64_t p = 0; p < kc; ++p) {
      const float v = alpha * a_cols[p * a_col_step + i * a_row_step];
      const float* brow = bp + p * nc;
      for (int64_t j = 0; j < nc; ++j) ci[j] += v * brow[j];
    }
  }
}

}  // namespace

void f32_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc, const ExecContext* ctx) {
  if (m <= 0 || n <= 0) return;
  // Scale or clear C first; the panels then accumulate.
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.0f)
      std::fill(ci, ci + n, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < n; ++j) ci[j] *= beta;
  }
  if (k <= 0 || alpha == 0.0f) return;
  const int64_t a_row_step = trans_a ? 1 : lda;
  const int64_t a_col_step = trans_a ? lda : 1;
  std::vector<float> packed(static_cast<size_t>(std::min(k, kBlockK) * std::min(n, kBlockN)));
  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    const int64_t nc = std::min(kBlockN, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
      const int64_t kc = std::min(kBlockK, k - p0);
      // Pack B[p0:p0+kc, j0:j0+nc] row-major so the inner loop streams contiguous memory.
      for (int64_t p = 0; p < kc; ++p) {
        float* dst = packed.data() + p * nc;
        if (trans_b) {
          for (int64_t j = 0; j < nc; ++j) dst[j] = b[(j0 + j) * ldb + p0 + p];
        } else {
          std::copy(b + (p0 + p) * ldb + j0, b + (p0 + p) * ldb + j0 + nc, dst);
        }
      }
      const float* a_cols = a + p0 * a_col_step;
      auto rows_body = [&](int64_t r0, int64_t r1) {
        panel_kernel(r1 - r0, nc, kc, a_cols + r0 * a_row_step, a_row_step, a_col_step,
                     packed.data(), c + r0 * ldc + j0, ldc, alpha);
      };
      const int64_t flops_per_row = nc * kc;
      if (ctx && m * flops_per_row > (int64_t{1} << 16)) {
        const int64_t min_rows =
            std::max<int64_t>(kRows, (int64_t{1} << 15) / std::max<int64_t>(1, flops_per_row));
        ctx->parallel_for(
            (m + kRows - 1) / kRows,
            [&](int64_t q0, int64_t q1) { rows_body(q0 * kRows, std::min(m, q1 * kRows)); },
            std::max<int64_t>(1, min_rows / kRows));
      } else {
        rows_body(0, m);
      }
    }
  }
}

}  // namespace heatlens
