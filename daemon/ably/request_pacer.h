#pragma once

// RequestPacer: spaces request starts at least 1/rate apart (ably.max_requests_per_second), so a
// cycle over many channels stays under the account's REST rate limit. The schedule is computed
// from the Clock; the wait itself sleeps, in short slices so cancellation is noticed. A rate of
// 0 means unlimited. Thread-safe.

#include <atomic>
#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace presenced {

class RequestPacer {
 public:
  RequestPacer(double per_second, const Clock& clock);

  // Blocks until the next request may start. Returns false when `cancel` was set while waiting.
  bool Wait(const std::atomic<bool>& cancel);

 private:
  const std::chrono::nanoseconds interval_;  // zero = unlimited
  const Clock& clock_;
  std::mutex mu_;  // guards next_
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace presenced
