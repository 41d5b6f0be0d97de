#pragma once

// Clock: the source of time for everything that schedules, waits or timestamps. Production code
// uses SystemClock; tests use tests/fakes/fake_clock.h and move time by hand instead of sleeping.
// Nothing outside this file reads the system clocks or sleeps (tests/lint/time_random_lint.py),
// except the socket and child-process deadlines of real I/O.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace presenced {

// The lock Clock::WaitUntil takes (MutexLock::native()).
using ClockLock = std::unique_lock<std::mutex>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns wall-clock time in milliseconds since the Unix epoch (event timestamps, ages).
  virtual int64_t NowMs() const = 0;
  // Returns monotonic time for durations and deadlines.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
  // Waits on `cv` (with `lock` held) until `woken` returns true or SteadyNow() reaches
  // `deadline`; returns woken(). Whoever makes `woken` true must notify `cv` under the same mutex.
  virtual bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         std::chrono::steady_clock::time_point deadline,
                         const std::function<bool()>& woken) const = 0;
  // Sleeps until SteadyNow() reaches `deadline` or `cancel` is set, whichever comes first (a
  // cancel is noticed within kCancelCheck); returns false when cancelled. No one needs to notify.
  virtual bool SleepUntil(std::chrono::steady_clock::time_point deadline,
                          const std::atomic<bool>& cancel) const = 0;
  // SleepUntil(SteadyNow() + duration, cancel).
  bool SleepFor(std::chrono::nanoseconds duration, const std::atomic<bool>& cancel) const {
    return SleepUntil(SteadyNow() + duration, cancel);
  }

  // How late SystemClock may notice a cancel during SleepUntil.
  static constexpr std::chrono::milliseconds kCancelCheck{50};
};

// SystemClock reads the real clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                 std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& woken) const override {
    return cv.wait_until(lock, deadline, woken);
  }
  bool SleepUntil(std::chrono::steady_clock::time_point deadline,
                  const std::atomic<bool>& cancel) const override {
    // In slices: `cancel` is a plain flag that nobody signals.
    while (!cancel.load()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return true;
      std::this_thread::sleep_until(std::min(deadline, now + kCancelCheck));
    }
    return false;
  }
};

}  // namespace presenced
