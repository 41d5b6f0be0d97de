#pragma once

// Delivery timing as pure functions (no clock, no sleeping), so tests check them as tables:
// when a batch is due, how long to back off after a failure, and what Retry-After asks for.
// The settings are a sink's (outbox_settings.h); the WebhookConfig forms read a webhook's.
// Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "config/config.h"
#include "delivery/outbox_settings.h"
#include "net/retry_after.h"

namespace presenced {

// Returns a uniformly distributed number in [0, 1). Production: common/random.h's Random.
using UniformRandom = std::function<double()>;

// Returns the delay before the next attempt after `failures` failed attempts (1 for the first):
// full jitter, uniform in [0, min(max_backoff, initial_backoff * 2^(failures-1))]. When the
// receiver sent a Retry-After, the delay is at least that long (it may exceed max_backoff:
// the receiver asked for it).
Duration NextBackoff(const RetrySettings& retry, int64_t failures,
                     std::optional<Duration> retry_after, const UniformRandom& random);

// ParseRetryAfter (Retry-After header values) is in net/retry_after.h.

// Returns how long to wait before forming a batch from `pending` waiting events whose oldest was
// created at `oldest_created_ms`: zero when `pending` reaches max_events or the oldest has
// waited max_delay; nullopt when there is nothing to send.
std::optional<Duration> BatchDueIn(const BatchSettings& batch, size_t pending,
                                   int64_t oldest_created_ms, int64_t now_ms);

// Returns whether a batch whose first attempt was at `first_attempt_ms` is past give_up_after.
bool ShouldGiveUp(const RetrySettings& retry, int64_t first_attempt_ms, int64_t now_ms);

// The same for a webhook's batch and retry settings.
inline Duration NextBackoff(const WebhookConfig& webhook, int64_t failures,
                            std::optional<Duration> retry_after, const UniformRandom& random) {
  return NextBackoff(OutboxSettingsOf(webhook).retry, failures, retry_after, random);
}
inline std::optional<Duration> BatchDueIn(const WebhookConfig& webhook, size_t pending,
                                          int64_t oldest_created_ms, int64_t now_ms) {
  return BatchDueIn(OutboxSettingsOf(webhook).batch, pending, oldest_created_ms, now_ms);
}
inline bool ShouldGiveUp(const WebhookConfig& webhook, int64_t first_attempt_ms, int64_t now_ms) {
  return ShouldGiveUp(OutboxSettingsOf(webhook).retry, first_attempt_ms, now_ms);
}

}  // namespace presenced
