#include "delivery/webhook_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/version.h"
#include "config/reserved_headers.h"
#include "delivery/payload.h"
#include "delivery/retry_policy.h"
#include "delivery/signer.h"

namespace presenced {
namespace {

// After a store error the worker tries again after this long.
constexpr Duration kStoreRetry{1'000};
// How often a worker waiting for its predecessor checks whether it was stopped meanwhile.
constexpr std::chrono::milliseconds kPredecessorCheck{50};
// Long waits are cut into slices this long so the backlog age gauge stays current.
constexpr Duration kGaugeRefresh{5'000};
// A batch also ends before its events' payload passes this (it always holds at least one event):
// a sync of big channels goes out as several requests of a few MiB, not one of hundreds.
constexpr size_t kMaxBatchPayloadBytes = 4 << 20;

// The bytes an event adds to a request body, about: its strings, its members (their JSON is
// about twice their encoding), and the field names and numbers.
size_t PayloadBytes(const Event& e) {
  return 200 + e.id.size() + e.channel.size() + e.client_id.size() + e.connection_id.size() +
         e.member_id.size() + e.data.size() + e.encoding.size() + 2 * e.members.size();
}
std::vector<Event> EventsOf(const StateStore::Batch& batch) {
  std::vector<Event> events;
  events.reserve(batch.events.size());
  for (const StateStore::PendingEvent& p : batch.events) events.push_back(p.event);
  return events;
}

}  // namespace

void ExitSignal::Set() {
  {
    std::lock_guard lock(mu_);
    set_ = true;
  }
  cv_.notify_all();
}

bool ExitSignal::WaitUntil(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return set_; });
}

WebhookWorker::WebhookWorker(WebhookConfig config, StateStore& store, HttpClient& http,
                             Metrics& metrics, const Clock& clock,
                             std::shared_ptr<ExitSignal> predecessor)
    : name_(config.name),
      store_(store),
      http_(http),
      metrics_(metrics),
      clock_(clock),
      random_(std::random_device{}()),
      predecessor_(std::move(predecessor)),
      config_(std::move(config)) {}

WebhookWorker::~WebhookWorker() {
  RequestStop();
  Join();
}

void WebhookWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void WebhookWorker::Update(WebhookConfig config) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
  config_changed_ = true;
  wake_.notify_all();
}

void WebhookWorker::Notify() {
  std::lock_guard lock(mu_);
  notified_ = true;
  wake_.notify_all();
}

void WebhookWorker::RequestStop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  wake_.notify_all();
}

void WebhookWorker::Retire() {
  std::lock_guard lock(mu_);
  stop_ = true;
  retired_ = true;
  metrics_.RemoveWebhook(name_);  // under mu_: WriteMetrics cannot be half-way through a write
  wake_.notify_all();
}

bool WebhookWorker::WaitStopped(std::chrono::steady_clock::time_point deadline) {
  return !thread_.joinable() || exited_->WaitUntil(deadline);
}

void WebhookWorker::Abandon() {
  std::lock_guard lock(mu_);
  abandoned_ = true;
}

void WebhookWorker::Join() {
  if (thread_.joinable()) thread_.join();
}

bool WebhookWorker::Abandoned() {
  std::lock_guard lock(mu_);
  return abandoned_;
}

void WebhookWorker::WriteMetrics(const std::function<void(Metrics&)>& write) {
  std::lock_guard lock(mu_);
  if (!retired_ && !abandoned_) write(metrics_);
}

bool WebhookWorker::WaitForPredecessor() {
  // Real time, not clock_: this waits for another thread, and checks for a stop now and then.
  while (!predecessor_->WaitUntil(std::chrono::steady_clock::now() + kPredecessorCheck)) {
    std::lock_guard lock(mu_);
    if (stop_ || abandoned_) return false;
  }
  return true;
}

void WebhookWorker::Run() {
  if (predecessor_ && !WaitForPredecessor()) {
    exited_->Set();
    return;
  }
  PublishBacklog();
  Lock lock(mu_);
  while (!stop_ && !abandoned_) {
    const WebhookConfig config = config_;  // one step uses one consistent config
    lock.unlock();
    const Next next = Step(config);
    lock.lock();
    if (stop_ || abandoned_) break;
    if (next.wait && next.wait->count() == 0) continue;
    Sleep(lock, next.wait, next.wake_on_notify);
  }
  exited_->Set();
}

WebhookWorker::Next WebhookWorker::Step(const WebhookConfig& config) {
  Result<std::optional<StateStore::Batch>> batch = store_.CurrentBatch(name_);
  if (!batch.ok()) {
    spdlog::error("webhook {}: reading the outbox failed: {}", name_, batch.error().message);
    return {kStoreRetry, false};
  }
  if (!batch->has_value()) return FormBatch(config);
  return Attempt(config, **batch);
}

WebhookWorker::Next WebhookWorker::FormBatch(const WebhookConfig& config) {
  Result<std::vector<StateStore::PendingEvent>> pending =
      store_.PeekPending(name_, std::max(config.batch_max_events, 1));
  if (!pending.ok()) {
    spdlog::error("webhook {}: reading the outbox failed: {}", name_, pending.error().message);
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
                   : BatchDueIn(config, pending->size(),
                                pending->empty() ? 0 : pending->front().created_ms, now_ms);
  if (!due || due->count() > 0) {
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
  if (Status s = store_.AssignBatch(name_, batch_id, seqs, now_ms); !s.ok()) {
    spdlog::error("webhook {}: persisting batch {} failed: {}", name_, batch_id, s.error().message);
    return {kStoreRetry, false};
  }
  spdlog::debug("webhook {}: formed batch {} of {} events", name_, batch_id, events.size());
  return Now();
}

HttpRequest WebhookWorker::BuildRequest(const WebhookConfig& config, const StateStore::Batch& batch,
                                        int64_t now_ms) const {
  const std::vector<Event> events = EventsOf(batch);
  const bool ably = config.format == WebhookConfig::Format::kAbly;
  HttpRequest request;
  request.method = "POST";
  request.url = config.url;
  request.body = ably ? AblyBody(name_, batch.id, batch.created_ms, events) : EventsBody(events);
  request.request_timeout = config.timeout;
  request.connect_timeout = std::min(config.timeout, Duration(4'000));
  request.max_response_bytes = 1 << 20;  // the body is ignored; cap what a receiver can push
  const int64_t timestamp = now_ms / 1000;
  request.headers = {{"Content-Type", "application/json"},
                     {"User-Agent", std::string("presenced/") + kVersion},
                     {"webhook-id", batch.id},
                     {"webhook-timestamp", std::to_string(timestamp)}};
  if (!config.secret.empty()) {
    const std::string& secret = config.secret.Reveal();
    request.headers.emplace_back(
        "webhook-signature", StandardWebhookSignature(secret, batch.id, timestamp, request.body));
    if (ably) request.headers.emplace_back("X-Ably-Signature", AblySignature(secret, request.body));
  }
  for (const auto& [name, value] : config.headers) {
    if (!IsReservedWebhookHeader(name)) request.headers.emplace_back(name, value);
  }
  return request;
}

WebhookWorker::Next WebhookWorker::Attempt(const WebhookConfig& config,
                                           const StateStore::Batch& batch) {
  const int64_t started_ms = clock_.NowMs();
  const HttpRequest request = BuildRequest(config, batch, started_ms);
  const auto started = clock_.SteadyNow();
  HttpResult result = http_.Send(request);
  if (Abandoned()) return Now();  // Stop's deadline passed: leave the batch for the next start
  const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - started).count();
  const int status = result.ok() ? result.response().status : 0;
  WriteMetrics([&](Metrics& m) {
    m.WebhookRequest(name_, result.ok() ? std::to_string(status) : "error", seconds);
  });

  if (status >= 200 && status < 300) {
    Result<uint64_t> delivered = store_.CompleteBatch(name_);
    if (!delivered.ok()) {
      // The batch stays in flight and is sent again (same webhook-id): at-least-once.
      spdlog::error("webhook {}: recording delivery of {} failed: {}", name_, batch.id,
                    delivered.error().message);
      return {kStoreRetry, false};
    }
    WriteMetrics([&](Metrics& m) { m.WebhookDelivered(name_, *delivered); });
    spdlog::debug("webhook {}: delivered batch {} ({} events, HTTP {})", name_, batch.id,
                  *delivered, status);
    PublishBacklog();
    return Now();
  }

  const std::string error =
      result.ok() ? "HTTP " + std::to_string(status) : "no response: " + result.error().message;
  if (Status s = store_.RecordFailure(name_, started_ms, error); !s.ok()) {
    spdlog::error("webhook {}: recording a failed attempt failed: {}", name_, s.error().message);
  }
  const int64_t first_attempt_ms =
      batch.first_attempt_ms != 0 ? batch.first_attempt_ms : started_ms;
  const int64_t now_ms = clock_.NowMs();
  if (ShouldGiveUp(config, first_attempt_ms, now_ms)) {
    Result<uint64_t> dead = store_.DeadLetterBatch(name_, now_ms, error);
    if (!dead.ok()) {
      spdlog::error("webhook {}: dead-lettering {} failed: {}", name_, batch.id,
                    dead.error().message);
      return {kStoreRetry, false};
    }
    spdlog::error("webhook {}: gave up on batch {} ({} events) after {} attempts: {}", name_,
                  batch.id, *dead, batch.attempts + 1, error);
    PublishBacklog();
    return Now();
  }
  const std::optional<Duration> retry_after =
      result.ok() ? ParseRetryAfter(result.response().Header("Retry-After"), now_ms) : std::nullopt;
  const Duration delay = NextBackoff(config, batch.attempts + 1, retry_after, [this] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  });
  spdlog::warn("webhook {}: batch {} attempt {} failed: {}; retrying in {} ms", name_, batch.id,
               batch.attempts + 1, error, delay.count());
  PublishBacklog();
  return {delay, false};
}

void WebhookWorker::PublishBacklog() {
  Result<StateStore::Backlog> backlog = store_.GetBacklog(name_);
  if (!backlog.ok()) {
    spdlog::error("webhook {}: reading the backlog failed: {}", name_, backlog.error().message);
    return;
  }
  const double age_seconds =
      backlog->oldest_created_ms
          ? std::max<double>(0, (clock_.NowMs() - *backlog->oldest_created_ms) / 1000.0)
          : 0.0;
  WriteMetrics([&](Metrics& m) {
    m.SetWebhookBacklog(name_, backlog->pending, age_seconds, backlog->dead_letters);
  });
}

void WebhookWorker::Sleep(Lock& lock, std::optional<Duration> wait, bool wake_on_notify) {
  const auto deadline =
      wait ? clock_.SteadyNow() + *wait : std::chrono::steady_clock::time_point::max();
  const std::function<bool()> woken = [&] {
    return stop_ || config_changed_ || (wake_on_notify && notified_);
  };
  while (!woken()) {
    const auto now = clock_.SteadyNow();
    if (now >= deadline) break;
    const auto slice_end = deadline - now > kGaugeRefresh ? now + kGaugeRefresh : deadline;
    if (!clock_.WaitUntil(wake_, lock, slice_end, woken) && slice_end != deadline) {
      lock.unlock();
      PublishBacklog();
      lock.lock();
    }
  }
  config_changed_ = false;
  if (wake_on_notify) notified_ = false;
}

}  // namespace presenced
