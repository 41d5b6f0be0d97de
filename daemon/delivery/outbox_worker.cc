#include "delivery/outbox_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/log_fields.h"
#include "delivery/payload.h"
#include "delivery/retry_policy.h"

namespace presenced {
namespace {

// After a store error the worker tries again after this long.
constexpr Duration kStoreRetry{1'000};
// How often a worker waiting for its predecessor looks whether it has exited (its exit wakes
// its own waiters, not this worker's).
constexpr Duration kPredecessorCheck{50};
// Long waits are cut into slices this long so the backlog age gauge stays current.
constexpr Duration kGaugeRefresh{5'000};
// A batch also ends before its events' payload passes this (it always holds at least one event):
// a sync of big channels goes out as several sends of a few MiB, not one of hundreds.
constexpr size_t kMaxBatchPayloadBytes = 4 << 20;

// The bytes an event adds to a batch's payload, about: its strings, its members (their JSON is
// about twice their encoding), and the field names and numbers.
size_t PayloadBytes(const Event& e) {
  return 200 + e.id.size() + e.channel.size() + e.client_id.size() + e.connection_id.size() +
         e.member_id.size() + e.data.size() + e.encoding.size() + 2 * e.members.size();
}

}  // namespace

OutboxWorker::OutboxWorker(OutboxSettings settings, std::unique_ptr<Sender> sender,
                           std::unique_ptr<SinkMetrics> metrics, StateStore& store,
                           const Clock& clock, std::unique_ptr<Random> random,
                           std::shared_ptr<ExitSignal> predecessor)
    : kind_(settings.kind),
      name_(settings.sink),
      store_(store),
      clock_(clock),
      random_(std::move(random)),
      predecessor_(std::move(predecessor)),
      metrics_(std::move(metrics)),
      settings_(std::move(settings)),
      sender_(std::move(sender)) {
  last_sync_ = clock_.SteadyNow() - kGroupCommitWindow;  // the first commit is fsynced
  metrics_->Add();
}

OutboxWorker::~OutboxWorker() {
  RequestStop();
  Join();
}

void OutboxWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutboxWorker::Update(OutboxSettings settings, std::unique_ptr<Sender> sender) {
  std::shared_ptr<Sender> old;  // dropped after unlocking: a sender may take a while to close
  MutexLock lock(mu_);
  settings_ = std::move(settings);
  old = std::exchange(sender_, std::move(sender));
  config_changed_ = true;
  wake_.notify_all();
}

void OutboxWorker::Notify() {
  MutexLock lock(mu_);
  notified_ = true;
  wake_.notify_all();
}

void OutboxWorker::RequestStop() {
  MutexLock lock(mu_);
  stop_ = true;
  wake_.notify_all();
}

void OutboxWorker::Retire() {
  MutexLock lock(mu_);
  stop_ = true;
  retired_ = true;
  metrics_->Remove();  // under mu_: WriteMetrics cannot be half-way through a write
  wake_.notify_all();
}

bool OutboxWorker::WaitStopped(std::chrono::steady_clock::time_point deadline) {
  return !thread_.joinable() || exited_->WaitUntil(clock_, deadline);
}

bool OutboxWorker::Stopped() { return !thread_.joinable() || exited_->IsSet(); }

void OutboxWorker::Abandon() {
  MutexLock lock(mu_);
  abandoned_ = true;
}

void OutboxWorker::Join() {
  if (thread_.joinable()) thread_.join();
}

bool OutboxWorker::Abandoned() {
  MutexLock lock(mu_);
  return abandoned_;
}

void OutboxWorker::WriteMetrics(const std::function<void(SinkMetrics&)>& write) {
  MutexLock lock(mu_);
  if (!retired_ && !abandoned_) write(*metrics_);
}

bool OutboxWorker::WaitForPredecessor() {
  MutexLock lock(mu_);
  const std::function<bool()> done = [this]() REQUIRES(mu_) {
    return stop_ || abandoned_ || predecessor_->IsSet();
  };
  while (!done()) {
    clock_.WaitUntil(wake_, lock.native(), clock_.SteadyNow() + kPredecessorCheck, done);
  }
  return !stop_ && !abandoned_;
}

void OutboxWorker::Run() {
  if (predecessor_ && !WaitForPredecessor()) {
    exited_->Set();
    return;
  }
  PublishBacklog();
  if (Loop()) SyncDeferred();  // stopped, not abandoned: leave nothing waiting for an fsync
  exited_->Set();
}

bool OutboxWorker::Loop() {
  MutexLock lock(mu_);
  while (!stop_ && !abandoned_) {
    // One step uses one consistent config; the sender stays alive for the step even if Update
    // replaces it meanwhile.
    const OutboxSettings settings = settings_;
    const std::shared_ptr<Sender> sender = sender_;
    lock.Unlock();
    const Next next = Step(settings, *sender);
    lock.Lock();
    if (stop_ || abandoned_) break;
    if (next.wait && next.wait->count() == 0) continue;
    Sleep(lock, next.wait, next.wake_on_notify);
  }
  return !abandoned_;
}

OutboxWorker::Next OutboxWorker::Step(const OutboxSettings& settings, Sender& sender) {
  Result<std::optional<StateStore::Batch>> batch = store_.CurrentBatch(name_);
  if (!batch.ok()) {
    spdlog::error("{} {}: reading the outbox failed: {}", kind_, name_, batch.error().message);
    return {kStoreRetry, false};
  }
  if (!batch->has_value()) return FormBatch(settings);
  return Attempt(settings, sender, std::move(**batch));
}

OutboxWorker::Next OutboxWorker::FormBatch(const OutboxSettings& settings) {
  Result<std::vector<StateStore::PendingEvent>> pending =
      store_.PeekPending(name_, std::max(settings.batch.max_events, 1));
  if (!pending.ok()) {
    spdlog::error("{} {}: reading the outbox failed: {}", kind_, name_, pending.error().message);
    return {kStoreRetry, false};
  }
  size_t take = 0;
  for (size_t bytes = 0; take < pending->size(); ++take) {
    bytes += PayloadBytes((*pending)[take].event);
    if (take > 0 && bytes > kMaxBatchPayloadBytes) break;
  }
  const bool full_by_size = take < pending->size();
  pending->resize(take);
  const int64_t now_ms = clock_.NowMs();
  const std::optional<Duration> due =
      full_by_size ? Duration(0)
                   : BatchDueIn(settings.batch, pending->size(),
                                pending->empty() ? 0 : pending->front().created_ms, now_ms);
  if (!due || due->count() > 0) {
    SyncDeferred();  // nothing to send now: acknowledgements wait for no later commit
    PublishBacklog();
    return {due, true};
  }
  std::vector<Event> events;
  std::vector<int64_t> seqs;
  for (const StateStore::PendingEvent& p : *pending) {
    events.push_back(p.event);
    seqs.push_back(p.seq);
  }
  const std::string batch_id = BatchId(name_, events);
  const StateStore::Sync sync = NextSync();
  if (Status s = store_.AssignBatch(name_, batch_id, seqs, now_ms, sync); !s.ok()) {
    spdlog::error("{} {}: persisting batch {} failed: {}", kind_, name_, batch_id,
                  s.error().message);
    return {kStoreRetry, false};
  }
  Committed(sync);
  spdlog::debug("{} {}: formed batch {} of {} events", kind_, name_, batch_id, events.size());
  return Now();
}

OutboxWorker::Next OutboxWorker::Attempt(const OutboxSettings& settings, Sender& sender,
                                         StateStore::Batch stored) {
  OutboxBatch batch{name_, stored.id, stored.created_ms, stored.attempts + 1, {}};
  batch.events.reserve(stored.events.size());
  for (StateStore::PendingEvent& p : stored.events) batch.events.push_back(std::move(p.event));
  stored.events.clear();

  const int64_t started_ms = clock_.NowMs();
  const auto started = clock_.SteadyNow();
  const SendOutcome outcome = sender.Send(batch);
  if (Abandoned()) return Now();  // Stop's deadline passed: leave the batch for the next start
  const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - started).count();
  WriteMetrics([&](SinkMetrics& m) { m.Attempt(batch, outcome, seconds); });
  if (outcome.kind != SendOutcome::Kind::kAcknowledged) {
    return Failed(settings, stored, batch, outcome, started_ms);
  }

  const StateStore::Sync sync = NextSync();
  Result<uint64_t> delivered = store_.CompleteBatch(name_, sync);
  if (!delivered.ok()) {
    // The batch stays in flight and is sent again (same id): at-least-once.
    spdlog::error("{} {}: recording delivery of {} failed: {}", kind_, name_, batch.id,
                  delivered.error().message);
    return {kStoreRetry, false};
  }
  Committed(sync);
  WriteMetrics([&](SinkMetrics& m) { m.Delivered(*delivered); });
  spdlog::debug("{} {}: delivered batch {} ({} events, status {})", kind_, name_, batch.id,
                *delivered, outcome.status);
  PublishBacklog();
  return Now();
}

OutboxWorker::Next OutboxWorker::Failed(const OutboxSettings& settings,
                                        const StateStore::Batch& stored, const OutboxBatch& batch,
                                        const SendOutcome& outcome, int64_t started_ms) {
  if (Status s = store_.RecordFailure(name_, started_ms, outcome.error); !s.ok()) {
    spdlog::error("{} {}: recording a failed attempt failed: {}", kind_, name_, s.error().message);
  }
  const int64_t first_attempt_ms =
      stored.first_attempt_ms != 0 ? stored.first_attempt_ms : started_ms;
  const int64_t now_ms = clock_.NowMs();
  const bool rejected = outcome.kind == SendOutcome::Kind::kRejected;
  if (rejected || ShouldGiveUp(settings.retry, first_attempt_ms, now_ms)) {
    Result<uint64_t> dead = store_.DeadLetterBatch(name_, now_ms, outcome.error);
    if (!dead.ok()) {
      spdlog::error("{} {}: dead-lettering {} failed: {}", kind_, name_, batch.id,
                    dead.error().message);
      return {kStoreRetry, false};
    }
    const LogFields fields{{kind_, name_}, {"batch", batch.id}, {"attempt", batch.attempt}};
    spdlog::error("{} {}: {} batch {} ({} events) after {} attempts: {}", kind_, name_,
                  rejected ? "dead-lettered rejected" : "gave up on", batch.id, *dead,
                  batch.attempt, outcome.error);
    PublishBacklog();
    return Now();
  }
  const Duration delay = NextBackoff(settings.retry, batch.attempt, outcome.retry_after,
                                     [this] { return random_->Uniform01(); });
  const LogFields fields{{kind_, name_}, {"batch", batch.id}, {"attempt", batch.attempt}};
  spdlog::warn("{} {}: batch {} attempt {} failed: {}; retrying in {} ms", kind_, name_, batch.id,
               batch.attempt, outcome.error, delay.count());
  PublishBacklog();
  return {delay, false};
}

StateStore::Sync OutboxWorker::NextSync() {
  return clock_.SteadyNow() - last_sync_ < kGroupCommitWindow ? StateStore::Sync::kDeferred
                                                              : StateStore::Sync::kDurable;
}

void OutboxWorker::Committed(StateStore::Sync sync) {
  if (sync == StateStore::Sync::kDeferred) {
    deferred_ = true;
  } else {
    deferred_ = false;
    last_sync_ = clock_.SteadyNow();
  }
}

void OutboxWorker::SyncDeferred() {
  if (!deferred_) return;
  if (Status s = store_.SyncDeferred(); !s.ok()) {
    // Tried again at the next idle moment; meanwhile the next commit past the window fsyncs.
    spdlog::error("{} {}: syncing acknowledgements failed: {}", kind_, name_, s.error().message);
    return;
  }
  deferred_ = false;
  last_sync_ = clock_.SteadyNow();
}

void OutboxWorker::PublishBacklog() {
  Result<StateStore::Backlog> backlog = store_.GetBacklog(name_);
  if (!backlog.ok()) {
    spdlog::error("{} {}: reading the backlog failed: {}", kind_, name_, backlog.error().message);
    return;
  }
  const double age_seconds =
      backlog->oldest_created_ms
          ? std::max<double>(0, (clock_.NowMs() - *backlog->oldest_created_ms) / 1000.0)
          : 0.0;
  WriteMetrics(
      [&](SinkMetrics& m) { m.SetBacklog(backlog->pending, age_seconds, backlog->dead_letters); });
}

void OutboxWorker::Sleep(MutexLock& lock, std::optional<Duration> wait, bool wake_on_notify) {
  const auto deadline =
      wait ? clock_.SteadyNow() + *wait : std::chrono::steady_clock::time_point::max();
  const std::function<bool()> woken = [&]() REQUIRES(mu_) {
    return stop_ || config_changed_ || (wake_on_notify && notified_);
  };
  while (!woken()) {
    const auto now = clock_.SteadyNow();
    if (now >= deadline) break;
    const auto slice_end = deadline - now > kGaugeRefresh ? now + kGaugeRefresh : deadline;
    if (!clock_.WaitUntil(wake_, lock.native(), slice_end, woken) && slice_end != deadline) {
      // The caller's lock stays the owner; the mutex is released around the store read only.
      mu_.Unlock();
      PublishBacklog();
      mu_.Lock();
    }
  }
  config_changed_ = false;
  if (wake_on_notify) notified_ = false;
}

}  // namespace presenced
