#pragma once

// Fixed-grid scheduling: cycles start at grid_start + k * interval, so they never drift; a cycle
// that overruns skips the slots it missed instead of starting a burst of catch-up cycles.

#include <chrono>

namespace presenced {

// Returns the first grid point strictly after `now`.
inline std::chrono::steady_clock::time_point NextSlot(
    std::chrono::steady_clock::time_point grid_start, std::chrono::milliseconds interval,
    std::chrono::steady_clock::time_point now) {
  if (now < grid_start) return grid_start;
  const auto elapsed = now - grid_start;
  const auto slots = elapsed / interval + 1;
  return grid_start + slots * interval;
}

}  // namespace presenced
