#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "core/version.h"

using heatlens::Tensor;

TEST_CASE("version is the semantic version from the build", "[core]") {
  std::string v = heatlens::version();
  REQUIRE(std::count(v.begin(), v.end(), '.') == 2);
  REQUIRE(std::isdigit(static_cast<unsigned char>(v[0])));
  std::string build = heatlens::build_description();
#ifdef __EMSCRIPTEN__
  REQUIRE(build.rfind("wasm32", 0) == 0);
#else
  REQUIRE(build.rfind("native", 0) == 0);
#endif
}

TEST_CASE("tensor is zero-filled, aligned and typed", "[core]") {
  Tensor t({2, 3, 5});
  REQUIRE(t.numel() == 30);
  REQUIRE(t.nbytes() == 120);
  REQUIRE(t.dim(-1) == 5);
  REQUIRE(reinterpret_cast<uintptr_t>(t.f32()) % 64 == 0);
  for (float v : t.to_f32_vector()) REQUIRE(v == 0.0f);
  REQUIRE_THROWS_AS(t.i64(), heatlens::Error);
  REQUIRE_THROWS_WITH(t.dim(3), Catch::Contains("axis 3 out of range"));
}

TEST_CASE("reshaped tensors share storage, clones do not", "[core]") {
  Tensor t = Tensor::from_f32({2, 2}, {1, 2, 3, 4});
  Tensor view = t.reshaped({4});
  Tensor copy = t.clone();
  view.f32()[0] = 9;
  REQUIRE(t.f32()[0] == 9);
  REQUIRE(copy.f32()[0] == 1);
  REQUIRE_THROWS_WITH(t.reshaped({3}), Catch::Contains("cannot reshape [2, 2] to [3]"));
}

TEST_CASE("views share storage from an offset and stay inside their tensor", "[core]") {
  Tensor t = Tensor::from_f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor tail = t.view(2, {2, 2});
  REQUIRE(tail.shape() == heatlens::Shape{2, 2});
  REQUIRE(tail.numel() == 4);
  REQUIRE(tail.to_f32_vector() == std::vector<float>{3, 4, 5, 6});
  tail.f32()[3] = 9;
  REQUIRE(t.f32()[5] == 9);
  // The view keeps the storage alive without the tensor.
  Tensor inner = tail.view(1, {2});
  t = Tensor();
  tail = Tensor();
  REQUIRE(inner.to_f32_vector() == std::vector<float>{4, 5});
  REQUIRE_THROWS_WITH(inner.view(1, {2}), Catch::Contains("no view of [2] at element 1 of [2]"));
  REQUIRE_THROWS(inner.view(-1, {1}));
}

TEST_CASE("absurd tensor sizes are refused with a message", "[core]") {
  REQUIRE_THROWS_WITH(Tensor({int64_t{1} << 40}), Catch::Contains("exceeds the limit"));
  REQUIRE_THROWS_WITH(Tensor({-1, 3}), Catch::Contains("negative dimension"));
  REQUIRE_THROWS_WITH(Tensor::from_f32({3}, {1, 2}), Catch::Contains("do not fill"));
}

TEST_CASE("int64 tensors convert to float", "[core]") {
  Tensor t = Tensor::from_i64({3}, {-2, 0, 7});
  REQUIRE(t.as_f32().to_f32_vector() == std::vector<float>{-2, 0, 7});
}

TEST_CASE("thread pool covers the range exactly once", "[core]") {
  for (int threads : {1, 2, 3}) {
    heatlens::ThreadPool pool(threads);
    for (int64_t n : {0, 1, 7, 1000, 4099}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) REQUIRE(h.load() == 1);
    }
  }
}

TEST_CASE("thread pool chunks are even to one item and not under min_chunk / 2", "[core]") {
  // Four chunks per thread at most, sizes differing by one at most (a short last chunk had left
  // one thread with more of the work), none below min_chunk / 2, and a range of more than
  // min_chunk items split.
  for (int threads : {2, 3}) {
    heatlens::ThreadPool pool(threads);
    for (int64_t n : {2, 7, 14, 50, 1000, 4099}) {
      for (int64_t min_chunk : {1, 3, 16, 600}) {
        std::mutex m;
        std::vector<int64_t> sizes;
        pool.parallel_for(
            n,
            [&](int64_t b, int64_t e) {
              std::lock_guard<std::mutex> lock(m);
              sizes.push_back(e - b);
            },
            min_chunk);
        INFO("threads " << threads << " n " << n << " min_chunk " << min_chunk);
        const auto [lo, hi] = std::minmax_element(sizes.begin(), sizes.end());
        REQUIRE(std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) == n);
        // The single-thread wasm build has no workers: the caller runs the range as one chunk.
        const int64_t pool_threads = pool.threads();
        REQUIRE(static_cast<int64_t>(sizes.size()) <= 4 * pool_threads);
        REQUIRE(*hi - *lo <= 1);
        if (sizes.size() > 1) REQUIRE(*lo >= min_chunk / 2);
        REQUIRE((sizes.size() > 1) == (pool_threads > 1 && n > min_chunk));
        if (pool_threads > 1 && n >= 4 * pool_threads * min_chunk)
          REQUIRE(static_cast<int64_t>(sizes.size()) == 4 * pool_threads);
      }
    }
  }
}

TEST_CASE("thread pool threads start on their own contiguous shares of the chunks", "[core]") {
  // 2 threads, 8 chunks: the caller's share is chunks 0-3, the worker's 4-7. Each takes its own
  // in order, then the last chunks of the other's; so the caller starts at chunk 0 and the
  // worker, if it runs any, at chunk 4. Slow chunks make sure both run some.
  heatlens::ThreadPool pool(2);
  if (pool.threads() < 2) return;  // the single-thread wasm build
  for (int round = 0; round < 3; ++round) {
    std::mutex m;
    std::map<std::thread::id, std::vector<int64_t>> order;
    pool.parallel_for(80, [&](int64_t b, int64_t) {
      {
        std::lock_guard<std::mutex> lock(m);
        order[std::this_thread::get_id()].push_back(b / 10);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    });
    REQUIRE(order.size() == 2);
    const std::vector<int64_t>& caller = order.at(std::this_thread::get_id());
    REQUIRE(caller.front() == 0);
    for (const auto& [id, chunks] : order) {
      if (id == std::this_thread::get_id()) continue;
      REQUIRE(chunks.front() == 4);
    }
    // Each thread's own chunks come in order.
    for (const auto& [id, chunks] : order) {
      const int64_t start = chunks.front();
      for (size_t i = 1; i < chunks.size() && chunks[i] < start + 4 && chunks[i] > start; ++i)
        REQUIRE(chunks[i] == chunks[i - 1] + 1);
    }
  }
}

TEST_CASE("thread pool runs many short jobs back to back, each chunk once", "[core]") {
  // Chunks of a few nanoseconds are taken by compare-and-swap from both ends of each thread's
  // share at once; a chunk lost or run twice, or one from the job before, shows in the sums.
  for (int threads : {2, 3}) {
    heatlens::ThreadPool pool(threads);
    for (int job = 0; job < 20000; ++job) {
      const int64_t n = 1 + job % 37;
      std::atomic<int64_t> sum{0}, calls{0};
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        calls++;
        for (int64_t i = b; i < e; ++i) sum += i + job;
      });
      REQUIRE(sum == n * (n - 1) / 2 + n * job);
      REQUIRE(calls <= 4 * pool.threads());
    }
  }
}

TEST_CASE("thread pool rethrows the body's error on the caller", "[core]") {
  heatlens::ThreadPool pool(2);
  REQUIRE_THROWS_WITH(pool.parallel_for(100,
                                        [](int64_t b, int64_t) {
                                          if (b == 0) heatlens::fail("boom in chunk 0");
                                        }),
                      "boom in chunk 0");
  // The pool stays usable after an error.
  std::atomic<int64_t> sum{0};
  pool.parallel_for(10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  REQUIRE(sum == 45);
}
