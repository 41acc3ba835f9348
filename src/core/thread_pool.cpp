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
  share_lo_.assign(static_cast<size_t>(threads), 0);
  share_hi_.assign(static_cast<size_t>(threads), 0);
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

bool ThreadPool::take_chunk(int self, int64_t& c) {
  if (remaining_ == 0 || error_) return false;
  --remaining_;
  const size_t own = static_cast<size_t>(self);
  if (share_lo_[own] < share_hi_[own]) {
    c = share_lo_[own]++;
    return true;
  }
  size_t most = 0;
  for (size_t t = 1; t < share_lo_.size(); ++t) {
    if (share_hi_[t] - share_lo_[t] > share_hi_[most] - share_lo_[most]) most = t;
  }
  c = --share_hi_[most];
  return true;
}

void ThreadPool::run_chunks(int self) {
  for (;;) {
    int64_t begin, end;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      int64_t c;
      if (!take_chunk(self, c)) return;
      begin = chunk_begin(c);
      end = chunk_begin(c + 1);
    }
    try {
      (*body_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
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
    // About four chunks per thread balances load without much locking. Their sizes differ by
    // one at most: 14 GEMM tiles in chunks of two and a short last one had made 7 chunks, four
    // for one thread and three for the other.
    // Rounding n / min_chunk up keeps a job of 1.5·min_chunk items on two threads; no chunk is
    // then under min_chunk / 2.
    chunks_ = std::min<int64_t>(threads() * 4, (n + min_chunk - 1) / min_chunk);
    // Contiguous shares: a thread's consecutive chunks read and write neighbouring memory
    // (two threads taking turns had made a 64 × 3136 × 576 GEMM 20% slower on two cores).
    const int64_t t = threads();
    for (int64_t i = 0; i < t; ++i) {
      share_lo_[static_cast<size_t>(i)] = i * chunks_ / t;
      share_hi_[static_cast<size_t>(i)] = (i + 1) * chunks_ / t;
    }
    remaining_ = chunks_;
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
    done_.wait(lock, [&] { return busy_ == 0 && (remaining_ == 0 || error_); });
    // Workers that had not woken yet must not pick up this job later.
    remaining_ = 0;
    body_ = nullptr;
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace heatlens
