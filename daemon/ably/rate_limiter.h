#pragma once

// RateLimiter: the ceiling on Ably request starts (CONTRACT §1 "Rate limits").
//
// It starts at ably.max_requests_per_second (0 = none). A 429 rate-limit answer (42910, 42918,
// 42922, or a 429 without a code) halves it (multiplicative decrease; from "none", half the rate
// of the last second), at most once per second however many requests were refused at once.
// Every second without a 429 adds one request per second (additive increase) until it is back at
// the configured ceiling, or, with none configured, at the rate that was refused, where the
// ceiling is lifted again. A Retry-After pauses every request until it has passed.
// presenced_api_rate_limit_requests_per_second shows the current ceiling.
//
// The schedule follows the Clock, and Wait() sleeps on it (Clock::SleepUntil, which notices a
// cancel while sleeping), so tests drive both with a fake clock.
// Thread-safe.

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>

#include "common/clock.h"
#include "common/mutex.h"
#include "metrics/metrics.h"

namespace presenced {

class RateLimiter {
 public:
  static constexpr double kMinRate = 0.5;  // requests per second

  RateLimiter(double configured_per_second, const Clock& clock, Metrics& metrics);

  // Blocks until the next request may start. Returns false, without waiting, when a Retry-After
  // pause lasts longer than `max_pause` from now, and false when `cancel` is set while waiting.
  bool Wait(const std::atomic<bool>& cancel, std::chrono::milliseconds max_pause);

  // Reserves the next start: returns when it may begin, or nullopt when paused beyond
  // `max_pause`. Wait() is this plus the sleep.
  std::optional<std::chrono::steady_clock::time_point> Reserve(std::chrono::milliseconds max_pause);

  // Records a 429 rate-limit answer, with its Retry-After if any.
  void OnRateLimited(std::optional<std::chrono::milliseconds> retry_after);

  // Returns the current ceiling in requests per second (0 = none).
  double ceiling();

 private:
  void IncreaseLocked(std::chrono::steady_clock::time_point now) REQUIRES(mu_);
  void PublishLocked() REQUIRES(mu_);

  const double configured_;
  const Clock& clock_;
  Metrics& metrics_;

  Mutex mu_;
  double ceiling_ GUARDED_BY(mu_);  // 0 = none
  // With no configured ceiling: lift it once back at this rate.
  double recover_to_ GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point next_ GUARDED_BY(mu_){};          // earliest next start
  std::chrono::steady_clock::time_point paused_until_ GUARDED_BY(mu_){};  // Retry-After
  // Last decrease or increase.
  std::chrono::steady_clock::time_point last_change_ GUARDED_BY(mu_){};
  std::chrono::steady_clock::time_point last_decrease_ GUARDED_BY(mu_){};
  // Starts in the last second.
  std::deque<std::chrono::steady_clock::time_point> recent_ GUARDED_BY(mu_);
};

}  // namespace presenced
