// Progress: how a long computation reports passes done / total and learns that it was
// cancelled. Methods call step() after each batch; a cancelled run throws Cancelled from the
// next step(), so cancellation takes effect within one batch.
//
//   Progress p([](int64_t done, int64_t total) { ... }, &cancel_flag);
//   p.set_total(steps);  ...  p.step(batch);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "core/error.h"

namespace heatlens {

struct Cancelled : Error {
  Cancelled() : Error("cancelled") {}
};

class Progress {
 public:
  using Report = std::function<void(int64_t done, int64_t total)>;
  Progress() = default;
  Progress(Report report, const std::atomic<bool>* cancel)
      : report_(std::move(report)), cancel_(cancel) {}

  void set_total(int64_t total) {
    total_ = total;
    done_ = 0;
    if (report_) report_(done_, total_);
  }
  void add_total(int64_t more) { total_ += more; }
  void step(int64_t n = 1) {
    if (cancel_ && cancel_->load()) throw Cancelled();
    done_ += n;
    if (report_) report_(done_, total_);
  }
  void check_cancel() const {
    if (cancel_ && cancel_->load()) throw Cancelled();
  }
  // For a nested computation that reports nothing but stops with this one.
  const std::atomic<bool>* cancel_flag() const { return cancel_; }
  int64_t done() const { return done_; }
  int64_t total() const { return total_; }

 private:
  Report report_;
  const std::atomic<bool>* cancel_ = nullptr;
  int64_t total_ = 0, done_ = 0;
};

}  // namespace heatlens
