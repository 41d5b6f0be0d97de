#pragma once

// OutboxWorker: the delivery loop of one sink, on its own thread, whatever the sink is. It forms
// batches from the sink's outbox (batch.max_events / batch.max_delay / a payload cap), persists
// each batch before its first attempt, hands one batch at a time, in order, to the sink's Sender
// (sender.h), deletes it when acknowledged, and otherwise retries it with backoff and full
// jitter (at least the sink's Retry-After) until give_up_after, then dead-letters it. A batch the
// sink rejects is dead-lettered at once. Each sink has its own worker, so a slow or dead sink
// holds up nothing but itself.
//
// Group commit: forming a batch and deleting an acknowledged one are committed without an fsync
// (StateStore::Sync::kDeferred) while the worker's last fsync is younger than kGroupCommitWindow
// (100 ms); the first of them after that is fsynced, and so is everything before it, and a worker
// that runs out of events fsyncs at once (SyncDeferred). A crash of the process loses nothing; a
// power loss or OS crash loses at most the acknowledgements of the last window, whose batches
// are then sent again with the same ids. Events themselves are fsynced with the cycle that wrote
// them, whatever happens here.
//
// Threading: the worker never holds its mutex across a store call, a Send or a wait on the
// store, so Notify, Update and Retire (called from the poll thread) return at once whatever the
// worker is doing. All waiting goes through `clock`, so tests drive backoffs with a fake clock;
// jitter comes from the injected Random.
//
// Errors: a store error is logged and the step is tried again after a second; a failed send is
// an outcome (recorded in the store and the metrics), not an error.
//
// Thread-safety: the public methods may be called from any thread. Lifetime: `store` and `clock`
// must outlive the worker; the destructor joins the thread, which may wait for a Send in
// progress up to the sink's own timeout.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/random.h"
#include "delivery/exit_signal.h"
#include "delivery/outbox_settings.h"
#include "delivery/sender.h"
#include "state/state_store.h"

namespace presenced {

class OutboxWorker {
 public:
  // How long delivery-side commits may go without an fsync (see above).
  static constexpr Duration kGroupCommitWindow{100};

  // Creates the sink's series (metrics->Add()). `predecessor`, when set, is the exit of an old
  // worker of the same sink still finishing a Send: this worker sends nothing until it is set,
  // so a batch never goes out twice at once.
  OutboxWorker(OutboxSettings settings, std::unique_ptr<Sender> sender,
               std::unique_ptr<SinkMetrics> metrics, StateStore& store, const Clock& clock,
               std::unique_ptr<Random> random, std::shared_ptr<ExitSignal> predecessor = nullptr);
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  const std::string& name() const { return name_; }
  const std::string& kind() const { return kind_; }
  const std::shared_ptr<ExitSignal>& exit_signal() const { return exited_; }
  // Starts the thread.
  void Start();
  // Replaces the settings (same sink name) and the sender, from the next step on (a Send in
  // progress finishes with the old sender); wakes the worker so a fixed sink is tried at once.
  void Update(OutboxSettings settings, std::unique_ptr<Sender> sender);
  // Wakes the worker: new events were committed. Never waits for the worker's work.
  void Notify();
  // Asks the worker to stop at its next wait; a Send in progress completes and is recorded.
  void RequestStop();
  // Stops the worker for good (sink removed from the config) and removes its series now: a Send
  // in progress completes and is recorded in the store, but the metrics are never written
  // again, so the series stay gone and nothing writes to a removed series.
  void Retire();
  // Waits until the thread has left its loop or `clock` reaches `deadline`; true when it has.
  bool WaitStopped(std::chrono::steady_clock::time_point deadline);
  // Returns whether the thread has left its loop (or never started), without waiting.
  bool Stopped();
  // Makes the worker discard the outcome of a Send still in progress: when it returns, the
  // worker leaves without touching the store or the metrics (the batch stays in the outbox and
  // is re-sent, with the same id, after a restart). An outcome already being recorded is
  // recorded in full.
  void Abandon();
  // Joins the thread (RequestStop first).
  void Join();

 private:
  void Run() EXCLUDES(mu_);
  // Runs steps until stopped or abandoned; returns false when abandoned.
  bool Loop() EXCLUDES(mu_);
  // Waits for the predecessor to exit; false when this worker was stopped first.
  bool WaitForPredecessor() EXCLUDES(mu_);
  // What the loop does after a step: wait this long (forever when nullopt), and whether new
  // events (Notify) end the wait early.
  struct Next {
    std::optional<Duration> wait;
    bool wake_on_notify = false;
  };
  static Next Now() { return {Duration(0), false}; }

  // One step of the loop with these settings: send the batch in flight, or form one when due.
  // Runs without mu_.
  Next Step(const OutboxSettings& settings, Sender& sender);
  // Forms and persists a batch when one is due; returns the wait otherwise.
  Next FormBatch(const OutboxSettings& settings);
  // Sends the batch once and records the outcome.
  Next Attempt(const OutboxSettings& settings, Sender& sender, StateStore::Batch stored);
  // Records a failed attempt; retries it later, or dead-letters it (rejected, or past
  // give_up_after).
  Next Failed(const OutboxSettings& settings, const StateStore::Batch& stored,
              const OutboxBatch& batch, const SendOutcome& outcome, int64_t started_ms);
  // Returns true once Abandon was called.
  bool Abandoned();
  // Calls `write` on the sink's metrics, under mu_, unless the worker was retired or abandoned.
  void WriteMetrics(const std::function<void(SinkMetrics&)>& write);
  // How the next batch or acknowledgement commit reaches the disk: deferred within the group
  // commit window of the last fsync. Worker thread only.
  StateStore::Sync NextSync();
  // Notes that a commit with `sync` succeeded.
  void Committed(StateStore::Sync sync);
  // Fsyncs the deferred commits, if any (the worker has nothing to send right now).
  void SyncDeferred();
  // Publishes pending count, oldest age and dead letters to the metrics.
  void PublishBacklog();
  // Waits up to `wait` (forever when nullopt), waking early on stop, config change, and (for
  // `wake_on_notify`) Notify. Refreshes the backlog gauges while waiting long.
  void Sleep(MutexLock& lock, std::optional<Duration> wait, bool wake_on_notify) REQUIRES(mu_);

  const std::string kind_;
  const std::string name_;
  StateStore& store_;
  const Clock& clock_;
  const std::unique_ptr<Random> random_;  // used by the worker thread only
  const std::shared_ptr<ExitSignal> predecessor_;
  const std::shared_ptr<ExitSignal> exited_ = std::make_shared<ExitSignal>();
  // Worker thread only: when this worker's last fsynced commit finished, and whether it has
  // deferred commits since.
  std::chrono::steady_clock::time_point last_sync_{};
  bool deferred_ = false;

  // Guards everything below. Held only to read or set these fields and to write metrics, never
  // across store calls or sends.
  Mutex mu_;
  std::condition_variable wake_;
  const std::unique_ptr<SinkMetrics> metrics_ PT_GUARDED_BY(mu_);
  OutboxSettings settings_ GUARDED_BY(mu_);
  // Shared with the step using it, so Update can replace it while a Send is in progress.
  std::shared_ptr<Sender> sender_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  bool retired_ GUARDED_BY(mu_) = false;
  bool abandoned_ GUARDED_BY(mu_) = false;
  bool notified_ GUARDED_BY(mu_) = false;
  bool config_changed_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace presenced
