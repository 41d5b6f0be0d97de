#pragma once

// FakeClock: a Clock that only moves when a test says so. Thread-safe.
//
// WaitUntil and SleepUntil return once the fake time reaches the deadline (after Advance) or the
// condition (the cancel flag) holds; they re-check both every millisecond of real time, so Advance
// needs no hook into the waiters. EarliestWait() lets a test see when a thread has settled into a
// wait and until when, so it can assert a backoff without waiting for it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>

#include "common/clock.h"

namespace presenced::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load() + wall_step_ms_.load(); }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_.load()));
  }
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& woken) const override {
    const auto waiter = Register(deadline);
    while (!woken() && SteadyNow() < deadline) {
      cv.wait_for(lock, std::chrono::milliseconds(1));
    }
    Unregister(waiter);
    return woken();
  }
  bool SleepUntil(std::chrono::steady_clock::time_point deadline,
                  const std::atomic<bool>& cancel) const override {
    std::mutex mu;
    std::condition_variable never_notified;
    std::unique_lock lock(mu);
    return !WaitUntil(never_notified, lock, deadline, [&] { return cancel.load(); });
  }
  // Moves both clocks forward.
  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  // Steps the wall clock only (NowMs), as an NTP correction or an operator does; the steady clock
  // goes on as before.
  void StepWall(std::chrono::milliseconds by) { wall_step_ms_ += by.count(); }
  // Returns how long from now the earliest waiting thread waits (nullopt: nobody waits; a
  // wait without deadline counts as time_point::max()).
  std::optional<std::chrono::milliseconds> EarliestWait() const {
    std::lock_guard lock(mu_);
    if (waiters_.empty()) return std::nullopt;
    const auto earliest = *waiters_.begin();
    if (earliest == std::chrono::steady_clock::time_point::max()) {
      return std::chrono::milliseconds::max();
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(earliest - SteadyNow());
  }

 private:
  using Waiters = std::multiset<std::chrono::steady_clock::time_point>;
  Waiters::iterator Register(std::chrono::steady_clock::time_point deadline) const {
    std::lock_guard lock(mu_);
    return waiters_.insert(deadline);
  }
  void Unregister(Waiters::iterator waiter) const {
    std::lock_guard lock(mu_);
    waiters_.erase(waiter);
  }

  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> wall_step_ms_{0};
  mutable std::mutex mu_;  // guards waiters_
  mutable Waiters waiters_;
};

}  // namespace presenced::testing
