#pragma once

// FakeAblyClock: Ably's clock as the fake keeps it (CONTRACT §1 "Time", "Presence history").
// Ably's time is this host's clock plus an offset a test sets at run time (Ably's time minus the
// host's, e.g. +5 s: Ably is ahead). Every timestamp the fake gives (presence messages, GET
// /time, token `issued`/`expires`) and every time it compares (history `start`/`end`, retention,
// token expiry) is on this clock. A message becomes readable in presence history only
// `visibility_delay` after its timestamp, as Ably's own specs wait for history to be complete.
// Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace presenced::testing {

class FakeAblyClock {
 public:
  // Ably's time now, ms since the epoch.
  int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           offset_ms_.load();
  }
  void SetOffset(std::chrono::milliseconds offset) { offset_ms_ = offset.count(); }
  std::chrono::milliseconds offset() const { return std::chrono::milliseconds(offset_ms_.load()); }
  void SetVisibilityDelay(std::chrono::milliseconds delay) { visibility_ms_ = delay.count(); }
  std::chrono::milliseconds visibility_delay() const {
    return std::chrono::milliseconds(visibility_ms_.load());
  }

 private:
  std::atomic<int64_t> offset_ms_{0};
  std::atomic<int64_t> visibility_ms_{0};
};

}  // namespace presenced::testing
