#pragma once

// Dispatcher: runs one WebhookWorker (one thread) per configured webhook and keeps that set in
// step with the config. The poller commits events to the outbox (StateStore::CommitCycle) and
// then calls Notify(); the workers do the rest (see webhook_worker.h).
//
// A webhook removed from the config stops being delivered and its series are removed at once;
// its undelivered events stay in the store and go out again if a webhook of that name is
// configured later. A webhook added back while its old worker still finishes a request gets a
// new worker that sends nothing until the old one has exited, so a batch never goes out twice at
// once.
//
// No method waits for delivery (a request, a backoff, a worker's store call): Configure and
// Notify are called by the poll loop. Only Stop waits, up to its deadline.
//
// Thread-safety: every method may be called from any thread. Lifetime: `store`, `http`,
// `metrics` and `clock` must outlive the Dispatcher; destroy the Dispatcher before them (its
// destructor joins the worker threads, which may wait for an abandoned request's own timeout).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "state/state_store.h"

namespace presenced {

class WebhookWorker;

class Dispatcher {
 public:
  Dispatcher(StateStore& store, HttpClient& http, Metrics& metrics, const Clock& clock);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts, stops and updates workers to match `webhooks` (call at start and on every reload).
  // Outboxes of webhooks that still exist are kept as they are. No-op after Stop.
  void Configure(const std::vector<WebhookConfig>& webhooks);
  // Wakes the workers: new events were committed.
  void Notify();
  // Stops every worker. A request in progress gets until `in_flight_deadline` to finish and have
  // its outcome recorded; after that its outcome is discarded and its batch stays in the outbox
  // (re-sent with the same webhook-id on the next start). Everything else stays in the outbox.
  // When Stop returns, no worker touches the store or the metrics again.
  void Stop(std::chrono::milliseconds in_flight_deadline);

 private:
  // Joins retired workers that have finished. Never waits. Needs mu_.
  void ReapRetired();

  StateStore& store_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;

  std::mutex mu_;  // guards workers_, retired_, stopped_
  std::map<std::string, std::unique_ptr<WebhookWorker>> workers_;
  // Workers of removed webhooks still finishing a request; joined when done.
  std::vector<std::unique_ptr<WebhookWorker>> retired_;
  bool stopped_ = false;
};

}  // namespace presenced
