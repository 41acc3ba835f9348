// ThreadPool: a fixed set of worker threads that split a range of work with the caller.
//
// parallel_for hands out chunks of [0, n) to the workers and to the calling thread, and
// returns when all are done. In builds without threads (single-thread wasm) it runs the
// whole range on the caller. Exceptions thrown by the body are rethrown on the caller.
//
//   heatlens::ThreadPool pool(2);
//   pool.parallel_for(rows, [&](int64_t begin, int64_t end) { for (auto r = begin; r < end; ++r)
//   work(r); });
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace heatlens {

class ThreadPool {
 public:
  using RangeFn = std::function<void(int64_t begin, int64_t end)>;

  // `threads` counts the caller: 1 means no worker threads. 0 means "all hardware threads".
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs body over [0, n) in chunks of about `min_chunk` items or more (never under half of it),
  // at most four per thread, differing in size by one item at most. Each thread starts on its
  // own contiguous share of the chunks, in order, and then takes the last chunks of the share
  // with the most left.
  void parallel_for(int64_t n, const RangeFn& body, int64_t min_chunk = 1);

  // Threads the hardware offers (at least 1).
  static int hardware_threads();

 private:
  void worker_loop(int self);
  void run_chunks(int self);
  bool take_chunk(int self, int64_t& c);
  // Chunk c of the current job is [chunk_begin(c), chunk_begin(c + 1)).
  int64_t chunk_begin(int64_t c) const { return c * n_ / chunks_; }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const RangeFn* body_ = nullptr;
  int64_t n_ = 0;
  int64_t chunks_ = 1;
  // Per thread (0: the caller), the chunks of its share not handed out yet, [lo, hi) packed as
  // lo | hi << 32: its owner takes from lo and the others from hi, each by compare-and-swap (a
  // mutex here had put threads to sleep on each other whenever chunks were short).
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  std::unique_ptr<Share[]> shares_;
  std::atomic<bool> failed_{false};  // a chunk threw: hand out no more
  // Written under mutex_; atomic so that idle threads can watch them while spinning.
  std::atomic<int> busy_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

}  // namespace heatlens
