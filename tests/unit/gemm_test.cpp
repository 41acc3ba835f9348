// Every GEMM micro-kernel this CPU (or wasm build) has, through the packed driver, against the
// plain triple loop: m around the kernels' mr (4, 6) and the 96-row tile, n around nr (8, 16)
// and the 256-column tile, k around the 256 block; every transpose, alpha/beta, one thread and
// a pool (which also exercises B packed once for several row tiles); the epilogue (bias +
// activation) and the few-rows path.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cmath>
#include <limits>
#include <random>

#include "core/thread_pool.h"
#include "kernels/gemm.h"

namespace {

std::vector<float> random_vector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

float tolerance(int64_t k) {
  return 1e-4f * (1.0f + std::sqrt(static_cast<float>(k)));
}

void compare(const heatlens::MicroKernel* kernel, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
             float alpha, float beta, const heatlens::ExecContext* ctx) {
  const unsigned seed = static_cast<unsigned>(m * 131 + n * 17 + k);
  std::vector<float> a = random_vector(static_cast<size_t>(m * k), seed);
  std::vector<float> b = random_vector(static_cast<size_t>(k * n), seed + 1);
  // Three guard columns right of C and a guard row below it: the reference leaves them as they
  // are, so comparing whole buffers also catches a (masked) store past a tile's last column.
  const int64_t ldc = n + 3;
  std::vector<float> c = random_vector(static_cast<size_t>((m + 1) * ldc), seed + 2);
  std::vector<float> fast = c, ref = c;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  if (kernel) {
    heatlens::f32_gemm_with(*kernel, ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                            fast.data(), ldc, ctx);
  } else {
    heatlens::f32_gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, fast.data(), ldc,
                       ctx);
  }
  heatlens::f32_gemm_reference(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                               ref.data(), ldc);
  for (size_t i = 0; i < fast.size(); ++i) {
    INFO((kernel ? kernel->name : "f32_gemm")
         << ": m " << m << " n " << n << " k " << k << " ta " << ta << " tb " << tb << " at " << i);
    REQUIRE(std::fabs(fast[i] - ref[i]) <= tolerance(k));
  }
}

}  // namespace

TEST_CASE("every gemm micro-kernel matches the reference at tile boundaries and odd shapes",
          "[kernels]") {
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext threaded{&pool};
  const auto kernels = heatlens::gemm_kernels();
  REQUIRE(kernels.front() == &heatlens::gemm_kernel());
  for (const heatlens::MicroKernel* kernel : kernels) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (int64_t m : {1, 3, 4, 5, 6, 7, 11, 12, 13, 23, 24, 64}) {
          for (int64_t n : {1, 7, 8, 9, 16, 17, 31, 33, 255, 257}) {
            for (int64_t k : {1, 255, 256, 257})
              compare(kernel, ta, tb, m, n, k, 1.0f, 0.0f, nullptr);
          }
        }
        compare(kernel, ta, tb, 37, 600, 300, 0.5f, 1.5f, &threaded);
        compare(kernel, ta, tb, 97, 300, 70, -1.0f, 1.0f, &threaded);  // two row tiles
        compare(kernel, ta, tb, 200, 49, 513, 1.0f, 0.0f, &threaded);  // few columns
        compare(kernel, ta, tb, 64, 196, 384, 1.0f, 0.0f, &threaded);  // fewer rows: by columns
      }
    }
  }
}

TEST_CASE("f32_gemm (few-rows path included) matches the reference", "[kernels]") {
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext threaded{&pool};
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (int64_t m : {1, 2, 3}) {
        compare(nullptr, ta, tb, m, 1000, 512, 1.0f, 0.0f, &threaded);
        compare(nullptr, ta, tb, m, 17, 5, 2.0f, 0.5f, nullptr);
        // Columns not a multiple of the four dot products at a time, K not one of 16 lanes.
        compare(nullptr, ta, tb, m, 1003, 1283, 1.0f, 0.0f, &threaded);
        compare(nullptr, ta, tb, m, 7, 37, 1.0f, 1.0f, nullptr);
      }
    }
  }
}

TEST_CASE("packed weights with a bias and activation epilogue", "[kernels]") {
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext threaded{&pool};
  const int64_t m = 13, n = 531, k = 300;
  std::vector<float> a = random_vector(m * k, 1), b = random_vector(k * n, 2),
                     bias = random_vector(m, 3);
  // A NaN in row 7 of A: that row of C is NaN whatever the bias and activation (the epilogue's
  // max/min must not drop it).
  a[7 * k + 5] = std::numeric_limits<float>::quiet_NaN();
  for (const heatlens::MicroKernel* kernel : heatlens::gemm_kernels()) {
    const heatlens::PackedA packed = heatlens::pack_a(*kernel, false, m, k, 1.0f, a.data(), k);
    for (const heatlens::Activation act :
         {heatlens::Activation{}, heatlens::Activation::relu(),
          heatlens::Activation::clip(-0.5f, 0.75f), heatlens::Activation::silu()}) {
      for (const float* row_bias :
           {static_cast<const float*>(bias.data()), static_cast<const float*>(nullptr)}) {
        // The epilogue equals the product followed by a separate pass, bit for bit.
        std::vector<float> fused(m * n), separate(m * n);
        heatlens::f32_gemm_packed(packed, n, false, b.data(), n, 0.0f, fused.data(), n,
                                  heatlens::Epilogue{row_bias, act}, &threaded);
        heatlens::f32_gemm_packed(packed, n, false, b.data(), n, 0.0f, separate.data(), n,
                                  heatlens::Epilogue{}, &threaded);
        for (int64_t i = 0; i < m; ++i) {
          heatlens::apply_bias_activation(separate.data() + i * n, n, row_bias ? row_bias[i] : 0.0f,
                                          act);
          for (int64_t j = 0; j < n; ++j) {
            INFO(kernel->name << " " << act.name() << " bias " << (row_bias != nullptr) << " at "
                              << i << "," << j);
            const float u = fused[i * n + j], v = separate[i * n + j];
            REQUIRE((u == v || (std::isnan(u) && std::isnan(v))));
            if (i == 7 && act.kind != heatlens::Activation::Kind::silu) REQUIRE(std::isnan(u));
          }
        }
      }
      std::vector<float> fast(m * n), ref(m * n);
      heatlens::f32_gemm_packed(packed, n, false, b.data(), n, 0.0f, fast.data(), n,
                                heatlens::Epilogue{bias.data(), act}, &threaded);
      heatlens::f32_gemm_reference(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f,
                                   ref.data(), n);
      for (int64_t i = 0; i < m; ++i) {
        if (i == 7) continue;  // the NaN row, checked above
        for (int64_t j = 0; j < n; ++j) {
          float v = ref[i * n + j] + bias[i];
          if (act.kind == heatlens::Activation::Kind::relu) v = std::max(v, 0.0f);
          if (act.kind == heatlens::Activation::Kind::clip) v = std::min(std::max(v, -0.5f), 0.75f);
          if (act.kind == heatlens::Activation::Kind::silu) v = v / (1.0f + std::exp(-v));
          INFO(kernel->name << " " << act.name() << " at " << i << "," << j);
          REQUIRE(std::fabs(fast[i * n + j] - v) <= tolerance(k));
        }
      }
    }
  }
}

TEST_CASE("gemm with k = 0 or alpha = 0 only scales C", "[kernels]") {
  std::vector<float> c = {1, 2, 3, 4};
  heatlens::f32_gemm(false, false, 2, 2, 0, 1.0f, nullptr, 0, nullptr, 2, 2.0f, c.data(), 2,
                     nullptr);
  REQUIRE(c == std::vector<float>{2, 4, 6, 8});
}

TEST_CASE("pack_a split over threads equals the serial packing, transposed or not", "[kernels]") {
  heatlens::ThreadPool pool(2);
  heatlens::ExecContext threaded{&pool};
  // m not a multiple of any kernel's mr; k across a K block; large enough to go parallel.
  const int64_t m = 203, k = 517;
  const std::vector<float> a = random_vector(m * k, 7);
  for (const heatlens::MicroKernel* kernel : heatlens::gemm_kernels()) {
    for (bool trans : {false, true}) {
      const int64_t lda = trans ? m : k;
      const heatlens::PackedA serial = heatlens::pack_a(*kernel, trans, m, k, 0.5f, a.data(), lda);
      const heatlens::PackedA split =
          heatlens::pack_a(*kernel, trans, m, k, 0.5f, a.data(), lda, &threaded);
      const int64_t mr = kernel->mr, size = (m + mr - 1) / mr * mr * k;
      INFO(kernel->name << (trans ? " transposed" : ""));
      REQUIRE(std::equal(serial.data.get(), serial.data.get() + size, split.data.get()));
      // Element (i, p) of 0.5·A sits in panel i / mr of K block p / 256; padding rows are 0.
      for (int64_t i = 0; i < (m + mr - 1) / mr * mr; i += 5) {
        for (int64_t p = 0; p < k; p += 3) {
          const int64_t p0 = p / 256 * 256, kc = std::min<int64_t>(256, k - p0);
          const float got = serial.data[static_cast<size_t>(
              p0 * ((m + mr - 1) / mr * mr) + (i / mr) * kc * mr + (p - p0) * mr + i % mr)];
          const float want = i < m ? 0.5f * (trans ? a[p * m + i] : a[i * k + p]) : 0.0f;
          REQUIRE(got == want);
        }
      }
    }
  }
}

TEST_CASE("GEMMs split among threads equal the serial product, bit for bit", "[kernels]") {
  // Two splits beside the usual tiles, each summing every element in the serial order, with
  // the epilogue applied once per element. With fewer rows than columns and a few strips that
  // the threads do not divide, each thread takes an equal share of (strip, row panel) blocks,
  // so a strip is computed in parts by two threads: 7 strips (a 14 × 14 map), 5, and 4 among
  // three threads. With an output read by channel (ExecContext::output_by_channels), each
  // thread takes its rows for all columns and packs B itself: rows a multiple of the threads'
  // panels and not, and too few (then split as usual). Partial last panels and strips, k across
  // a K block, a C wider than n.
  struct Case {
    int64_t m, n, k;
  };
  const Case cases[] = {{96, 196, 576}, {61, 210, 300},  {25, 150, 40}, {13, 100, 257},
                        {48, 784, 32},  {144, 3136, 24}, {30, 900, 16}};
  for (int threads : {2, 3}) {
    heatlens::ThreadPool pool(threads);
    heatlens::ExecContext threaded{&pool}, by_channels{&pool};
    by_channels.output_by_channels = true;
    for (const Case& t : cases) {
      const std::vector<float> a = random_vector(t.m * t.k, 11), b = random_vector(t.k * t.n, 12),
                               bias = random_vector(t.m, 13);
      const int64_t ldc = t.n + 5;
      std::vector<float> ref(static_cast<size_t>(t.m * t.n));
      heatlens::f32_gemm_reference(false, false, t.m, t.n, t.k, 1.0f, a.data(), t.k, b.data(), t.n,
                                   0.0f, ref.data(), t.n);
      for (const heatlens::MicroKernel* kernel : heatlens::gemm_kernels()) {
        const heatlens::PackedA packed =
            heatlens::pack_a(*kernel, false, t.m, t.k, 1.0f, a.data(), t.k);
        const heatlens::Epilogue epilogue{bias.data(), heatlens::Activation::clip(0.0f, 0.5f)};
        std::vector<float> serial(static_cast<size_t>(t.m * ldc), -3.0f);
        heatlens::f32_gemm_packed(packed, t.n, false, b.data(), t.n, 0.0f, serial.data(), ldc,
                                  epilogue, nullptr);
        // beta = 1 into a C of ones, serial and split alike (C accumulated block by block).
        std::vector<float> ones(serial.size(), 1.0f);
        heatlens::f32_gemm_packed(packed, t.n, false, b.data(), t.n, 1.0f, ones.data(), ldc,
                                  heatlens::Epilogue{}, nullptr);
        for (const heatlens::ExecContext* ctx : {&threaded, &by_channels}) {
          std::vector<float> split(serial.size(), -3.0f), split_ones(serial.size(), 1.0f);
          heatlens::f32_gemm_packed(packed, t.n, false, b.data(), t.n, 0.0f, split.data(), ldc,
                                    epilogue, ctx);
          heatlens::f32_gemm_packed(packed, t.n, false, b.data(), t.n, 1.0f, split_ones.data(), ldc,
                                    heatlens::Epilogue{}, ctx);
          REQUIRE(split_ones == ones);
          INFO(kernel->name << " threads " << threads
                            << (ctx->output_by_channels ? " by channel" : "") << ": m " << t.m
                            << " n " << t.n << " k " << t.k);
          REQUIRE(split == serial);
          // And the product itself, against the reference.
          for (int64_t i = 0; i < t.m; ++i) {
            for (int64_t j = 0; j < t.n; ++j) {
              const float want = std::min(std::max(ref[i * t.n + j] + bias[i], 0.0f), 0.5f);
              REQUIRE(std::fabs(split[i * ldc + j] - want) <= tolerance(t.k));
            }
            for (int64_t j = t.n; j < ldc; ++j) REQUIRE(split[i * ldc + j] == -3.0f);
          }
        }
      }
    }
  }
}
