#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

#include "core/denormals.h"
#include "core/version.h"

namespace heatlens {

int ThreadPool::hardware_threads() {
  if (!threads_enabled()) return 1;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = hardware_threads();
  if (!threads_enabled()) threads = 1;
  shares_.reset(new Share[static_cast<size_t>(threads)]);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

namespace {

int64_t range_lo(uint64_t v) {
  return static_cast<int64_t>(v & 0xffffffffu);
}
int64_t range_hi(uint64_t v) {
  return static_cast<int64_t>(v >> 32);
}
uint64_t range_of(int64_t lo, int64_t hi) {
  return static_cast<uint64_t>(lo) | static_cast<uint64_t>(hi) << 32;
}

}  // namespace

bool ThreadPool::take_chunk(int self, int64_t& c) {
  if (failed_.load(std::memory_order_relaxed)) return false;
  std::atomic<uint64_t>& own = shares_[static_cast<size_t>(self)].range;
  uint64_t v = own.load();
  while (range_lo(v) < range_hi(v)) {
    if (own.compare_exchange_weak(v, range_of(range_lo(v) + 1, range_hi(v)))) {
      c = range_lo(v);
      return true;
    }
  }
  for (;;) {
    int most = -1;
    int64_t left = 0;
    uint64_t seen = 0;
    for (int t = 0; t < threads(); ++t) {
      const uint64_t w = shares_[static_cast<size_t>(t)].range.load();
      if (range_hi(w) - range_lo(w) > left) {
        left = range_hi(w) - range_lo(w);
        most = t;
        seen = w;
      }
    }
    if (most < 0) return false;
    if (shares_[static_cast<size_t>(most)].range.compare_exchange_weak(
            seen, range_of(range_lo(seen), range_hi(seen) - 1))) {
      c = range_hi(seen) - 1;
      return true;
    }
  }
}

void ThreadPool::run_chunks(int self) {
  int64_t c;
  while (take_chunk(self, c)) {
    try {
      (*body_)(chunk_begin(c), chunk_begin(c + 1));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_ = true;
    }
  }
}

void ThreadPool::worker_loop(int self) {
  FlushDenormals flush;  // workers only run engine work (core/denormals.h)
  uint64_t seen = 0;
  for (;;) {
    // A forward pass hands out jobs every few hundred microseconds; waking a sleeping thread
    // can take longer than a job, so watch for the next one briefly before sleeping.
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(300);
    for (int i = 1; generation_.load() == seen && !stopping_.load(); ++i) {
      if (i % 256 == 0 && std::chrono::steady_clock::now() > spin_until) break;
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      ++busy_;
    }
    run_chunks(self);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --busy_;
    }
    done_.notify_all();
  }
}

void ThreadPool::parallel_for(int64_t n, const RangeFn& body, int64_t min_chunk) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  if (workers_.empty() || n <= min_chunk) {
    body(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    // About four chunks per thread balances load at little cost in handing them out. Their sizes
    // differ by one at most: 14 GEMM tiles in chunks of two and a short last one had made 7 chunks,
    // four for one thread and three for the other. Rounding n / min_chunk up keeps a job
    // of 1.5·min_chunk items on two threads; no chunk is then under min_chunk / 2.
    chunks_ = std::min<int64_t>(threads() * 4, (n + min_chunk - 1) / min_chunk);
    // Contiguous shares: a thread's consecutive chunks read and write neighbouring memory
    // (two threads taking turns had made a 64 × 3136 × 576 GEMM 20% slower on two cores).
    const int64_t t = threads();
    for (int64_t i = 0; i < t; ++i)
      shares_[static_cast<size_t>(i)].range = range_of(i * chunks_ / t, (i + 1) * chunks_ / t);
    failed_ = false;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  run_chunks(0);
  // The workers are usually finishing their last chunk: watch for that briefly before
  // sleeping, since being woken can take longer than the chunk (it did on these machines).
  const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
  for (int i = 1; busy_.load() != 0; ++i) {
    if (i % 256 == 0 && std::chrono::steady_clock::now() > spin_until) break;
  }
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return busy_ == 0; });
    // Workers that had not woken yet must not pick up this job later (chunks are left only
    // when one threw).
    for (int i = 0; i < threads(); ++i) shares_[static_cast<size_t>(i)].range = 0;
    body_ = nullptr;
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace heatlens
