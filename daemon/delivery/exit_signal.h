#pragma once

// ExitSignal: set once, when a worker's thread has left its loop. Shared (shared_ptr), so that
// the worker of a sink added back can wait for the old one without owning it, and the
// Dispatcher can wait for workers with a deadline. Waits go through a Clock, so they follow fake
// time in tests. Thread-safe.

#include <chrono>
#include <condition_variable>

#include "common/clock.h"
#include "common/mutex.h"

namespace presenced {

class ExitSignal {
 public:
  void Set() {
    {
      MutexLock lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  // Returns whether it is set, without waiting.
  bool IsSet() {
    MutexLock lock(mu_);
    return set_;
  }
  // Waits until set or `clock` reaches `deadline`; true when set.
  bool WaitUntil(const Clock& clock, std::chrono::steady_clock::time_point deadline) {
    MutexLock lock(mu_);
    return clock.WaitUntil(cv_, lock.native(), deadline, [this]() REQUIRES(mu_) { return set_; });
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  bool set_ GUARDED_BY(mu_) = false;
};

}  // namespace presenced
