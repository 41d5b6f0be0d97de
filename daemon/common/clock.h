#pragma once

// Clock: the source of time for everything that schedules or timestamps. Production code uses
// SystemClock; tests use tests/fakes/fake_clock.h and move time by hand instead of sleeping.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace presenced {

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
};

}  // namespace presenced
