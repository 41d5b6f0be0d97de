#include "ably/request_pacer.h"

#include <algorithm>
#include <thread>

namespace presenced {
namespace {

constexpr std::chrono::milliseconds kSleepSlice{50};

std::chrono::nanoseconds IntervalFor(double per_second) {
  if (per_second <= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<int64_t>(1e9 / per_second));
}

}  // namespace

RequestPacer::RequestPacer(double per_second, const Clock& clock)
    : interval_(IntervalFor(per_second)), clock_(clock) {}

bool RequestPacer::Wait(const std::atomic<bool>& cancel) {
  if (interval_.count() == 0) return !cancel.load();
  std::chrono::nanoseconds delay{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = clock_.SteadyNow();
    next_ = std::max(next_, now);
    delay = next_ - now;
    next_ += interval_;
  }
  while (delay.count() > 0) {
    if (cancel.load()) return false;
    const auto slice = std::min<std::chrono::nanoseconds>(delay, kSleepSlice);
    std::this_thread::sleep_for(slice);
    delay -= slice;
  }
  return !cancel.load();
}

}  // namespace presenced
