#pragma once

// The sink seam: everything a sink (a webhook, later Kafka) must provide so the outbox worker can
// deliver to it. The worker (outbox_worker.h) owns everything that is the same for every sink:
// order, batches, persistence, retries, backoff, give-up, dead letters, the backlog series,
// stop and hand-over. A sink provides two small things:
//
//   Sender       sends one batch once and says what happened (SendOutcome). No retries, no
//                waiting, no store: the worker decides what happens next.
//   SinkMetrics  writes the sink's own series. The worker calls it, after each attempt and when
//                the backlog changes, and never after the sink was retired or abandoned, so a
//                sink cannot write to series that were removed (the worker holds that rule in
//                one place instead of every sender repeating it). This is why a sender does not
//                record metrics itself: it reports a `status` label in its outcome, the worker
//                times the attempt with its Clock, and SinkMetrics::Attempt maps both onto the
//                sink's families (presenced_webhook_requests_total{status} and the duration
//                histogram for webhooks; presenced_kafka_messages_total{result} for Kafka).
//
// A SinkConfig bundles a sink's OutboxSettings with makers of both; the Dispatcher runs one
// worker per SinkConfig. Adding a sink: a Sender, a SinkMetrics and a function from the sink's
// config to a SinkConfig (webhook_sender.h's WebhookSink is the model), in one file or folder,
// plus its config decoder.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "delivery/outbox_settings.h"
#include "presence/event.h"

namespace presenced {

// One batch of outbox events, as every attempt sends it.
struct OutboxBatch {
  std::string sink;           // the sink's name
  std::string id;             // deterministic (delivery/payload.h BatchId); the same on every retry
  int64_t created_ms = 0;     // when the batch was formed; the same on every retry
  int64_t attempt = 1;        // failed attempts recorded so far + 1 (the count survives restarts)
  std::vector<Event> events;  // in outbox order (a channel's events in the order they happened)
};

// What one attempt to send a batch came to.
struct SendOutcome {
  enum class Kind {
    kAcknowledged,  // the sink has the batch: it leaves the outbox
    kRetry,         // not delivered, may work later: back off (at least retry_after) and resend
    kRejected,      // will never be accepted as it is: dead-lettered now, without retries
  };
  Kind kind = Kind::kRetry;
  // The attempt as a metric label, e.g. the HTTP status ("200", "503") or "error" when no answer
  // came back. Set for every kind; bounded (never an error text).
  std::string status;
  // Why the batch was not acknowledged ("HTTP 503", "no response: timeout"): logged, stored as
  // the batch's last error and shown by --dead-letters. Empty when acknowledged.
  std::string error;
  // kRetry only: the sink asked not to be tried again before this long (Retry-After).
  std::optional<Duration> retry_after;

  static SendOutcome Acknowledged(std::string status) {
    return {Kind::kAcknowledged, std::move(status), "", std::nullopt};
  }
  static SendOutcome Retry(std::string status, std::string error,
                           std::optional<Duration> retry_after = std::nullopt) {
    return {Kind::kRetry, std::move(status), std::move(error), retry_after};
  }
  static SendOutcome Rejected(std::string status, std::string error) {
    return {Kind::kRejected, std::move(status), std::move(error), std::nullopt};
  }
};

// Sender: sends one batch to one sink.
//
// Errors: every failure is an outcome (kRetry or kRejected), never an exception; a sender
// catches what its libraries throw. Thread-safety: the worker calls Send from its thread, one
// call at a time; a sender need not be thread-safe. Lifetime: the worker may drop a sender on
// any thread once no Send is in progress (a reload replaces it between two attempts).
class Sender {
 public:
  virtual ~Sender() = default;
  // Sends `batch` once and returns what came of it. May block up to the sink's own timeout;
  // the worker cannot interrupt it (at shutdown it abandons the outcome instead).
  virtual SendOutcome Send(const OutboxBatch& batch) = 0;
};

// SinkMetrics: one sink's series (its name is bound in). The worker calls every method under its
// own lock, from its thread and from Retire, never concurrently. Lifetime: owned by the worker.
class SinkMetrics {
 public:
  virtual ~SinkMetrics() = default;
  // Creates the sink's series at zero (the sink was configured).
  virtual void Add() = 0;
  // Removes the sink's series (the sink was removed from the config).
  virtual void Remove() = 0;
  // Records one attempt to send `batch`: its outcome and how long Send took.
  virtual void Attempt(const OutboxBatch& batch, const SendOutcome& outcome, double seconds) = 0;
  // Counts `events` acknowledged by the sink.
  virtual void Delivered(uint64_t events) = 0;
  // Sets the backlog gauges: events in the outbox, the oldest one's age, dead letters.
  virtual void SetBacklog(uint64_t pending, double oldest_age_seconds, uint64_t dead_letters) = 0;
};

// SinkConfig: one configured sink, as the Dispatcher runs it. The makers are called on the
// thread that calls Dispatcher::ConfigureSinks and must not block; they may capture references
// to objects that outlive the Dispatcher.
struct SinkConfig {
  OutboxSettings outbox;
  // Makes the sink's sender for this config: when the sink starts and on every reload.
  std::function<std::unique_ptr<Sender>()> make_sender;
  // Makes the sink's series writer: when the sink starts (or is added back).
  std::function<std::unique_ptr<SinkMetrics>()> make_metrics;
};

}  // namespace presenced
