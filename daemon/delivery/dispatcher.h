#pragma once

// Dispatcher: runs one OutboxWorker (one thread) per configured sink and keeps that set in step
// with the config. The poller commits events to the outbox (StateStore::CommitCycle) and then
// calls Notify(); the workers do the rest (see outbox_worker.h). A sink is a SinkConfig
// (sender.h): webhooks, each an HttpWebhookSender (webhook_sender.h), and the sinks the caller
// makes (Kafka: delivery/kafka/kafka_sink.h).
//
// A sink removed from the config stops being delivered and its series are removed at once; its
// undelivered events stay in the store and go out again if a sink of that name is configured
// later. A sink added back while its old worker still finishes a send gets a new worker that
// sends nothing until the old one has exited, so a batch never goes out twice at once.
//
// No method waits for delivery (a send, a backoff, a worker's store call): Configure and Notify
// are called by the poll loop. Only Stop waits, up to its deadline, measured on `clock`.
//
// Thread-safety: every method may be called from any thread. Lifetime: `store`, `http`,
// `metrics` and `clock` must outlive the Dispatcher; destroy the Dispatcher before them (its
// destructor joins the worker threads, which may wait for an abandoned send's own timeout).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/random.h"
#include "config/config.h"
#include "delivery/sender.h"
#include "delivery/webhook_sender.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "state/state_store.h"

namespace presenced {

class OutboxWorker;

// Makes each worker's own random source (jitter).
using RandomFactory = std::function<std::unique_ptr<Random>()>;

class Dispatcher {
 public:
  // Webhooks are sent with `http` (HttpWebhookSender); each worker's jitter comes from its own
  // SeededRandom, seeded from `seeds` (which must outlive the Dispatcher).
  Dispatcher(StateStore& store, HttpClient& http, Metrics& metrics, const Clock& clock,
             Random& seeds);
  // Webhooks are sent by senders from `make_sender`; jitter comes from `make_random` (tests).
  Dispatcher(StateStore& store, Metrics& metrics, const Clock& clock,
             WebhookSenderFactory make_sender, RandomFactory make_random);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // ConfigureSinks with `webhooks` and then `others` as the sinks (call at start and on every
  // reload).
  void Configure(const std::vector<WebhookConfig>& webhooks, std::vector<SinkConfig> others = {});
  // Starts, stops and updates workers to match `sinks` (names unique across kinds): a sink that
  // is still there gets its new settings and a new sender from its next attempt on. Outboxes of
  // sinks that still exist are kept as they are. No-op after Stop.
  void ConfigureSinks(const std::vector<SinkConfig>& sinks);
  // Wakes the workers: new events were committed.
  void Notify();
  // Stops every worker. A send in progress gets until `in_flight_deadline` (on the clock) to
  // finish and have its outcome recorded; after that its outcome is discarded and its batch
  // stays in the outbox (re-sent with the same batch id on the next start). Everything else
  // stays in the outbox. When Stop returns, no worker touches the store or the metrics again.
  void Stop(std::chrono::milliseconds in_flight_deadline);

 private:
  // Joins retired workers that have finished. Never waits.
  void ReapRetired() REQUIRES(mu_);

  StateStore& store_;
  Metrics& metrics_;
  const Clock& clock_;
  const WebhookSenderFactory make_webhook_sender_;
  const RandomFactory make_random_;

  Mutex mu_;
  std::map<std::string, std::unique_ptr<OutboxWorker>> workers_ GUARDED_BY(mu_);
  // Workers of removed sinks still finishing a send; joined when done.
  std::vector<std::unique_ptr<OutboxWorker>> retired_ GUARDED_BY(mu_);
  bool stopped_ GUARDED_BY(mu_) = false;
};

}  // namespace presenced
