#include "ably/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace presenced {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr seconds kWindow{1};  // decreases at most once per window; rate measured over it
constexpr double kIncreasePerSecond = 1;  // additive increase

nanoseconds IntervalFor(double per_second) {
  if (per_second <= 0) return nanoseconds(0);
  return nanoseconds(static_cast<int64_t>(1e9 / per_second));
}

}  // namespace

RateLimiter::RateLimiter(double configured_per_second, const Clock& clock, Metrics& metrics)
    : configured_(std::max(0.0, configured_per_second)),
      clock_(clock),
      metrics_(metrics),
      ceiling_(configured_) {
  MutexLock lock(mu_);
  PublishLocked();
}

double RateLimiter::ceiling() {
  MutexLock lock(mu_);
  IncreaseLocked(clock_.SteadyNow());
  return ceiling_;
}

std::optional<SteadyTime> RateLimiter::Reserve(milliseconds max_pause) {
  MutexLock lock(mu_);
  const SteadyTime now = clock_.SteadyNow();
  IncreaseLocked(now);
  if (paused_until_ - now > max_pause) return std::nullopt;
  SteadyTime start = std::max({now, paused_until_, ceiling_ > 0 ? next_ : now});
  next_ = start + IntervalFor(ceiling_);
  while (!recent_.empty() && now - recent_.front() > kWindow) recent_.pop_front();
  recent_.push_back(start);
  return start;
}

bool RateLimiter::Wait(const std::atomic<bool>& cancel, milliseconds max_pause) {
  std::optional<SteadyTime> start = Reserve(max_pause);
  if (!start) return false;
  return clock_.SleepUntil(*start, cancel);
}

void RateLimiter::OnRateLimited(std::optional<milliseconds> retry_after) {
  MutexLock lock(mu_);
  const SteadyTime now = clock_.SteadyNow();
  if (retry_after) paused_until_ = std::max(paused_until_, now + *retry_after);
  // Requests in flight together are refused together: that is one signal, not several.
  if (last_decrease_ != SteadyTime{} && now - last_decrease_ < kWindow) return;
  while (!recent_.empty() && now - recent_.front() > kWindow) recent_.pop_front();
  const double current = ceiling_ > 0 ? ceiling_ : static_cast<double>(recent_.size());
  if (configured_ == 0 && ceiling_ == 0) recover_to_ = current;
  ceiling_ = std::max(kMinRate, current / 2);
  last_change_ = last_decrease_ = now;
  PublishLocked();
}

void RateLimiter::IncreaseLocked(SteadyTime now) {
  const bool lowered = configured_ > 0 ? ceiling_ < configured_ : ceiling_ > 0;
  if (!lowered || now - last_change_ < kWindow) return;
  const double elapsed = std::chrono::duration<double>(now - last_change_).count();
  ceiling_ += kIncreasePerSecond * std::floor(elapsed);
  last_change_ += seconds(static_cast<int64_t>(elapsed));
  if (configured_ > 0) {
    ceiling_ = std::min(ceiling_, configured_);
  } else if (ceiling_ >= recover_to_) {
    ceiling_ = 0;  // back where it was refused: lift the ceiling
  }
  PublishLocked();
}

void RateLimiter::PublishLocked() { metrics_.SetRateLimit(ceiling_); }

}  // namespace presenced
