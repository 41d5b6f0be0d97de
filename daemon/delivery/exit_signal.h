#pragma once

// ExitSignal: set once, when a worker's thread has left its loop. Shared (shared_ptr), so that
// the worker of a sink added back can wait for the old one without owning it, and the
// Dispatcher can wait for workers with a deadline. Waits go through a Clock, so they follow fake
// time in tests. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"

namespace presenced {

class ExitSignal {
 public:
  void Set() {
    {
      std::lock_guard lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  // Returns whether it is set, without waiting.
  bool IsSet() {
    std::lock_guard lock(mu_);
    return set_;
  }
  // Waits until set or `clock` reaches `deadline`; true when set.
  bool WaitUntil(const Clock& clock, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return clock.WaitUntil(cv_, lock, deadline, [this] { return set_; });
  }

 private:
  std::mutex mu_;  // guards set_
  std::condition_variable cv_;
  bool set_ = false;
};

}  // namespace presenced
