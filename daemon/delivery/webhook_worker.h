#pragma once

// WebhookWorker: the delivery loop of one webhook, on its own thread. It forms batches from the
// webhook's outbox (batch.max_events / batch.max_delay), persists each batch before its first
// attempt, sends one batch at a time in order, deletes it on 2xx, and otherwise retries with
// backoff until give_up_after, then dead-letters it. Each webhook has its own worker, so a slow
// or dead receiver holds up nothing but itself.
//
// Threading: the worker never holds its mutex across a store call, a request or a wait on the
// store, so Notify, Update and Retire (called from the poll thread) return at once whatever the
// worker is doing. All waiting goes through `clock`, so tests drive backoffs with a fake clock.
//
// Thread-safety: the public methods may be called from any thread. Lifetime: `store`, `http`,
// `metrics` and `clock` must outlive the worker; the destructor joins the thread, which may wait
// for a request in progress up to the webhook's timeout.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
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

// ExitSignal: set once, when a worker's thread has left its loop. Shared, so that the worker of
// a webhook added back can wait for the old one without owning it. Thread-safe.
class ExitSignal {
 public:
  void Set();
  // Waits until set or `deadline` passes; true when set.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);

 private:
  std::mutex mu_;  // guards set_
  std::condition_variable cv_;
  bool set_ = false;
};

class WebhookWorker {
 public:
  // `predecessor`, when set, is the exit of an old worker of the same webhook still finishing a
  // request: this worker sends nothing until it is set, so a batch never goes out twice at once.
  WebhookWorker(WebhookConfig config, StateStore& store, HttpClient& http, Metrics& metrics,
                const Clock& clock, std::shared_ptr<ExitSignal> predecessor = nullptr);
  ~WebhookWorker();
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  const std::string& name() const { return name_; }
  const std::shared_ptr<ExitSignal>& exit_signal() const { return exited_; }
  // Starts the thread.
  void Start();
  // Replaces the config (same name); wakes the worker so a fixed URL is tried at once.
  void Update(WebhookConfig config);
  // Wakes the worker: new events were committed. Never waits for the worker's work.
  void Notify();
  // Asks the worker to stop at its next wait; a request in progress completes and is recorded.
  void RequestStop();
  // Stops the worker for good (webhook removed from the config) and removes its series now: a
  // request in progress completes and is recorded in the store, but the metrics are never
  // written again, so the series stay gone and nothing writes to a removed series.
  void Retire();
  // Waits until the thread has left its loop or `deadline` passes; true when it has.
  bool WaitStopped(std::chrono::steady_clock::time_point deadline);
  // Makes the worker discard the outcome of a request still in progress: when it returns, the
  // worker leaves without touching the store or the metrics (the batch stays in the outbox and
  // is re-sent after a restart). An outcome already being recorded is recorded in full.
  void Abandon();
  // Joins the thread (RequestStop first).
  void Join();

 private:
  using Lock = std::unique_lock<std::mutex>;

  void Run();
  // Waits for the predecessor to exit; false when this worker was stopped first.
  bool WaitForPredecessor();
  // What the loop does after a step: wait this long (forever when nullopt), and whether new
  // events (Notify) end the wait early.
  struct Next {
    std::optional<Duration> wait;
    bool wake_on_notify = false;
  };
  static Next Now() { return {Duration(0), false}; }

  // One step of the loop with this config: send the batch in flight, or form one when due.
  // Runs without mu_.
  Next Step(const WebhookConfig& config);
  // Forms and persists a batch when one is due; returns the wait otherwise.
  Next FormBatch(const WebhookConfig& config);
  // Sends the batch once and records the outcome.
  Next Attempt(const WebhookConfig& config, const StateStore::Batch& batch);
  HttpRequest BuildRequest(const WebhookConfig& config, const StateStore::Batch& batch,
                           int64_t now_ms) const;
  // Returns true once Abandon was called.
  bool Abandoned();
  // Calls `write` on the metrics, under mu_, unless the worker was retired or abandoned.
  void WriteMetrics(const std::function<void(Metrics&)>& write);
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
  const std::shared_ptr<ExitSignal> predecessor_;
  const std::shared_ptr<ExitSignal> exited_ = std::make_shared<ExitSignal>();

  // Guards everything below. Held only to read or set these fields and to write metrics, never
  // across store calls or requests.
  std::mutex mu_;
  std::condition_variable wake_;
  WebhookConfig config_;
  bool stop_ = false;
  bool retired_ = false;
  bool abandoned_ = false;
  bool notified_ = false;
  bool config_changed_ = false;
  std::thread thread_;
};

}  // namespace presenced
