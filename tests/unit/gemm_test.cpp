// The blocked GEMM against the plain triple loop, at block boundaries (k around 256, n around
// 512, m around the 4-row kernel) and odd shapes, with every transpose combination and
// alpha/beta, single-threaded and on a pool.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/thread_pool.h"
#include "kernels/gemm.h"

namespace {

void compare(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, float beta,
             const heatlens::ExecContext* ctx) {
  std::mt19937 rng(static_cast<unsigned>(m * 131 + n * 17 + k));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n)),
      c(static_cast<size_t>(m * n));
  for (auto& v : a) v = u(rng);
  for (auto& v : b) v = u(rng);
  for (auto& v : c) v = u(rng);
  std::vector<float> fast = c, ref = c;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  heatlens::f32_gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, fast.data(), n,
                     ctx);
  heatlens::f32_gemm_reference(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                               ref.data(), n);
  for (size_t i = 0; i < fast.size(); ++i) {
    INFO("m " << m << " n " << n << " k " << k << " ta " << ta << " tb " << tb << " at " << i);
    REQUIRE(std::fabs(fast[i] - ref[i]) <= 1e-4f * (1.0f + std::sqrt(static_cast<float>(k))));
  }
}

}  // namespace

TEST_CASE("blocked gemm matches the reference at tile boundaries and odd shapes", "[kernels]") {
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext threaded{&pool};
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t m : {1, 3, 4, 5, 9}) {
        for (int64_t n : {1, 7, 511, 513}) {
          for (int64_t k : {1, 255, 257}) compare(ta, tb, m, n, k, 1.0f, 0.0f, nullptr);
        }
      }
      compare(ta, tb, 37, 600, 300, 0.5f, 1.5f, &threaded);
      compare(ta, tb, 64, 1030, 70, -1.0f, 1.0f, &threaded);
    }
  }
}

TEST_CASE("gemm with k = 0 or alpha = 0 only scales C", "[kernels]") {
  std::vector<float> c = {1, 2, 3, 4};
  heatlens::f32_gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 2.0f, c.data(), 2,
                     nullptr);
  REQUIRE(c == std::vector<float>{2, 4, 6, 8});
}
