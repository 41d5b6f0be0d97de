#pragma once

// OutboxSettings: what the outbox worker needs to know about one sink, whatever the sink is:
// its name (the outbox key), how batches are formed and how failed batches are retried. Each
// sink's config decoder fills one (OutboxSettingsOf for webhooks); the worker never sees the
// sink's own config. Plain data.

#include <chrono>
#include <string>

#include "config/config.h"

namespace presenced {

struct BatchSettings {
  int max_events = 100;       // a batch is sent once it holds this many events (at least 1)
  Duration max_delay{1'000};  // or once its oldest event has waited this long
};

struct RetrySettings {
  Duration initial_backoff{1'000};             // the first backoff's ceiling (full jitter below it)
  Duration max_backoff{600'000};               // the ceiling doubles up to this
  Duration give_up_after{72ll * 3600 * 1000};  // from the first failed attempt; then dead letters
};

struct OutboxSettings {
  std::string kind;  // "webhook", "kafka": names the sink in logs ("webhook main: …")
  std::string sink;  // the sink's name: unique across sinks, the outbox and metrics key
  BatchSettings batch;
  RetrySettings retry;
};

// Returns a webhook's batch and retry settings (CONTRACT §3 webhooks[].batch / retry).
inline OutboxSettings OutboxSettingsOf(const WebhookConfig& webhook) {
  return {"webhook",
          webhook.name,
          {webhook.batch_max_events, webhook.batch_max_delay},
          {webhook.retry_initial_backoff, webhook.retry_max_backoff, webhook.retry_give_up_after}};
}

}  // namespace presenced
