#pragma once

// WebhookWorker: the delivery loop of one webhook, on its own thread. It forms batches from the
// webhook's outbox (batch.max_events / batch.max_delay), persists each batch before its first
// attempt, sends one batch at a time in order, deletes it on 2xx, and otherwise retries with
// backoff until give_up_after, then dead-letters it. Each webhook has its own worker, so a slow
// or dead receiver holds up nothing but itself.
//
// Thread-safety: the public methods may be called from any thread. Lifetime: `store`, `http`,
// `metrics` and `clock` must outlive the worker; the destructor joins the thread, which may wait
// for a request in progress up to the webhook's timeout.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "state/state_store.h"

namespace presenced {

class WebhookWorker {
 public:
  WebhookWorker(WebhookConfig config, StateStore& store, HttpClient& http, Metrics& metrics,
                const Clock& clock);
  ~WebhookWorker();
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  const std::string& name() const { return name_; }
  // Starts the thread.
  void Start();
  // Replaces the config (same name); wakes the worker so a fixed URL is tried at once.
  void Update(WebhookConfig config);
  // Wakes the worker: new events were committed.
  void Notify();
  // Asks the worker to stop at its next wait; a request in progress completes and is recorded.
  void RequestStop();
  // Waits until the thread has left its loop or `deadline` passes; true when it has.
  bool WaitStopped(std::chrono::steady_clock::time_point deadline);
  // Makes the worker discard the outcome of a request still in progress: it will not touch the
  // store or the metrics again (the batch stays in the outbox and is re-sent after a restart).
  void Abandon();
  // Joins the thread (RequestStop first).
  void Join();

 private:
  using Lock = std::unique_lock<std::mutex>;

  void Run();
  // What the loop does after a step: wait this long (forever when nullopt), and whether new
  // events (Notify) end the wait early.
  struct Next {
    std::optional<Duration> wait;
    bool wake_on_notify = false;
  };
  static Next Now() { return {Duration(0), false}; }

  // One step of the loop: send the batch in flight, or form one when due.
  Next Step(Lock& lock);
  // Forms and persists a batch when one is due; returns the wait otherwise.
  Next FormBatch();
  // Sends the batch once (mu_ released during the request) and records the outcome.
  Next Attempt(Lock& lock, const StateStore::Batch& batch);
  HttpRequest BuildRequest(const StateStore::Batch& batch, int64_t now_ms) const;
  // Publishes pending count, oldest age and dead letters to the metrics.
  void PublishBacklog();
  // Waits up to `wait` (forever when nullopt), waking early on stop, config change, and (for
  // `wake_on_notify`) Notify. Refreshes the backlog gauges while waiting long.
  void Sleep(Lock& lock, std::optional<Duration> wait, bool wake_on_notify);

  const std::string name_;
  StateStore& store_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;
  std::mt19937_64 random_;  // used by the worker thread only

  std::mutex mu_;  // guards everything below; held by the worker except during Send and waits
  std::condition_variable wake_;
  std::condition_variable exited_cv_;
  WebhookConfig config_;
  bool stop_ = false;
  bool abandoned_ = false;
  bool notified_ = false;
  bool config_changed_ = false;
  bool exited_ = false;
  std::thread thread_;
};

}  // namespace presenced
