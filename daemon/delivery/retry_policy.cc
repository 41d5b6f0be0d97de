#include "delivery/retry_policy.h"

#include <algorithm>
#include <string>

namespace presenced {

Duration NextBackoff(const RetrySettings& retry, int64_t failures,
                     std::optional<Duration> retry_after, const UniformRandom& random) {
  const int64_t initial = std::max<int64_t>(retry.initial_backoff.count(), 0);
  const int64_t cap = std::max<int64_t>(retry.max_backoff.count(), 0);
  // Doubling stops at the cap; the shift bound keeps the arithmetic far from overflow.
  int64_t ceiling = initial;
  for (int64_t i = 1; i < failures && ceiling < cap && i < 62; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  double u = random();
  u = std::clamp(u, 0.0, 1.0);
  auto delay = Duration(static_cast<int64_t>(u * static_cast<double>(ceiling)));
  if (retry_after && *retry_after > delay) delay = *retry_after;
  return delay;
}

std::optional<Duration> BatchDueIn(const BatchSettings& batch, size_t pending,
                                   int64_t oldest_created_ms, int64_t now_ms) {
  if (pending == 0) return std::nullopt;
  if (pending >= static_cast<size_t>(std::max(batch.max_events, 1))) return Duration(0);
  const int64_t due_ms = oldest_created_ms + batch.max_delay.count();
  return Duration(std::max<int64_t>(due_ms - now_ms, 0));
}

bool ShouldGiveUp(const RetrySettings& retry, int64_t first_attempt_ms, int64_t now_ms) {
  return now_ms - first_attempt_ms >= retry.give_up_after.count();
}

}  // namespace presenced
