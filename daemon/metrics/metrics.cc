#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <mutex>
#include <set>

#include "common/mutex.h"
#include "common/version.h"
#include "metrics/kafka_series.h"
#include "metrics/process_metrics.h"

namespace presenced {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

const Histogram::BucketBoundaries kLatencyBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                  0.5,   1,    2.5,   5,    10};
const Histogram::BucketBoundaries kCycleBuckets{0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                2.5,  5,    10,  30,   60,  120};

}  // namespace

struct Metrics::Impl {
  explicit Impl(bool per_channel_in) : per_channel(per_channel_in) {}

  prometheus::Registry registry;
  std::atomic<bool> per_channel;

  Family<Gauge>& build_info = prometheus::BuildGauge()
                                  .Name("presenced_build_info")
                                  .Help("Always 1; labels carry the version and git revision.")
                                  .Register(registry);
  Family<Gauge>& shard_info =
      prometheus::BuildGauge()
          .Name("presenced_shard_info")
          .Help("Always 1; labels carry this replica's shard index and count.")
          .Register(registry);
  Mutex shard_mu;
  Gauge* shard_series GUARDED_BY(shard_mu) = nullptr;
  Gauge& channels = prometheus::BuildGauge()
                        .Name("presenced_channels")
                        .Help("Channels being tracked.")
                        .Register(registry)
                        .Add({});
  Gauge& channels_stale = prometheus::BuildGauge()
                              .Name("presenced_channels_stale")
                              .Help("Channels whose last fetch failed.")
                              .Register(registry)
                              .Add({});
  Family<Gauge>& members = prometheus::BuildGauge()
                               .Name("presenced_members")
                               .Help("Presence members present.")
                               .Register(registry);
  Family<Gauge>& clients = prometheus::BuildGauge()
                               .Name("presenced_clients")
                               .Help("Distinct clientIds present.")
                               .Register(registry);
  Gauge& channels_occupied = prometheus::BuildGauge()
                                 .Name("presenced_channels_occupied")
                                 .Help("Channels with at least one member.")
                                 .Register(registry)
                                 .Add({});
  Gauge& clients_distinct = prometheus::BuildGauge()
                                .Name("presenced_clients_distinct")
                                .Help("Distinct clientIds present across all channels.")
                                .Register(registry)
                                .Add({});
  Family<Counter>& events = prometheus::BuildCounter()
                                .Name("presenced_events_total")
                                .Help("Presence events emitted, by action.")
                                .Register(registry);
  Counter& cycles = prometheus::BuildCounter()
                        .Name("presenced_poll_cycles_total")
                        .Help("Poll cycles finished.")
                        .Register(registry)
                        .Add({});
  Histogram& cycle_duration = prometheus::BuildHistogram()
                                  .Name("presenced_poll_cycle_duration_seconds")
                                  .Help("Time to fetch and diff every channel.")
                                  .Register(registry)
                                  .Add({}, kCycleBuckets);
  Counter& overruns = prometheus::BuildCounter()
                          .Name("presenced_poll_overruns_total")
                          .Help("Poll cycles that took longer than poll.interval.")
                          .Register(registry)
                          .Add({});
  Family<Counter>& api_requests =
      prometheus::BuildCounter()
          .Name("presenced_api_requests_total")
          .Help("Ably REST requests by HTTP status (error = no response).")
          .Register(registry);
  Histogram& api_duration = prometheus::BuildHistogram()
                                .Name("presenced_api_request_duration_seconds")
                                .Help("Ably REST request latency.")
                                .Register(registry)
                                .Add({}, kLatencyBuckets);
  Counter& state_commit_failures =
      prometheus::BuildCounter()
          .Name("presenced_state_commit_failures_total")
          .Help("Cycles whose state commit failed (their events are derived again).")
          .Register(registry)
          .Add({});
  Family<Counter>& reconcile_corrections =
      prometheus::BuildCounter()
          .Name("presenced_reconcile_corrections_total")
          .Help("Events a reconcile snapshot found that presence history missed, by action.")
          .Register(registry);
  Counter& billable = prometheus::BuildCounter()
                          .Name("presenced_ably_billable_messages_total")
                          .Help("Presence members returned by Ably (billed as one message each).")
                          .Register(registry)
                          .Add({});
  Counter& state_bytes_written = prometheus::BuildCounter()
                                     .Name("presenced_state_bytes_written_total")
                                     .Help("Bytes written to the state store.")
                                     .Register(registry)
                                     .Add({});
  Family<Counter>& fetch_errors = prometheus::BuildCounter()
                                      .Name("presenced_channel_fetch_errors_total")
                                      .Help("Per-channel fetch failures by Ably error code.")
                                      .Register(registry);
  Family<Counter>& token_renewals = prometheus::BuildCounter()
                                        .Name("presenced_ably_token_renewals_total")
                                        .Help("Ably token renewals by result (ok, error).")
                                        .Register(registry);
  Gauge& rate_limit = prometheus::BuildGauge()
                          .Name("presenced_api_rate_limit_requests_per_second")
                          .Help("Current Ably request-rate ceiling (0 = none).")
                          .Register(registry)
                          .Add({});
  Gauge& clock_offset = prometheus::BuildGauge()
                            .Name("presenced_ably_clock_offset_seconds")
                            .Help("Ably's clock minus this host's, from GET /time.")
                            .Register(registry)
                            .Add({});
  Family<Gauge>& last_success = prometheus::BuildGauge()
                                    .Name("presenced_channel_last_success_timestamp_seconds")
                                    .Help("Unix time of the last successful fetch.")
                                    .Register(registry);
  Family<Counter>& webhook_requests = prometheus::BuildCounter()
                                          .Name("presenced_webhook_requests_total")
                                          .Help("Webhook delivery attempts by HTTP status.")
                                          .Register(registry);
  Family<Counter>& webhook_delivered = prometheus::BuildCounter()
                                           .Name("presenced_webhook_events_delivered_total")
                                           .Help("Events acknowledged with a 2xx.")
                                           .Register(registry);
  Family<Gauge>& webhook_pending = prometheus::BuildGauge()
                                       .Name("presenced_webhook_pending_events")
                                       .Help("Events in the outbox.")
                                       .Register(registry);
  Family<Gauge>& webhook_oldest = prometheus::BuildGauge()
                                      .Name("presenced_webhook_oldest_pending_age_seconds")
                                      .Help("Age of the oldest undelivered event.")
                                      .Register(registry);
  Family<Gauge>& webhook_dead = prometheus::BuildGauge()
                                    .Name("presenced_webhook_dead_letter_events")
                                    .Help("Events given up on (dead-lettered).")
                                    .Register(registry);
  Family<Histogram>& webhook_duration = prometheus::BuildHistogram()
                                            .Name("presenced_webhook_delivery_duration_seconds")
                                            .Help("Webhook request latency.")
                                            .Register(registry);
  Gauge& reload_ok = prometheus::BuildGauge()
                         .Name("presenced_config_last_reload_successful")
                         .Help("1 if the last config (re)load succeeded, else 0.")
                         .Register(registry)
                         .Add({});
  Gauge& reload_ts = prometheus::BuildGauge()
                         .Name("presenced_config_last_reload_success_timestamp_seconds")
                         .Help("Unix time of the last successful config (re)load.")
                         .Register(registry)
                         .Add({});

  Mutex channels_mu;
  std::set<std::string> channel_names GUARDED_BY(channels_mu);
  Mutex webhooks_mu;
  // (webhook, status) seen
  std::set<std::pair<std::string, std::string>> webhook_statuses GUARDED_BY(webhooks_mu);

  // Removes the per-channel series of `channel` (and the unlabelled totals when asked).
  void DropChannelSeries(const std::string& channel) {
    const Labels labels{{"channel", channel}};
    for (Family<Gauge>* family : {&members, &clients, &last_success}) {
      if (family->Has(labels)) family->Remove(&family->Add(labels));
    }
  }
};

Metrics::Metrics(bool per_channel)
    : impl_(std::make_unique<Impl>(per_channel)),
      kafka_(std::make_unique<KafkaSeries>(impl_->registry)) {
  impl_->build_info.Add({{"version", kVersion}, {"revision", kRevision}}).Set(1);
  for (Action action :
       {Action::kEnter, Action::kLeave, Action::kUpdate, Action::kPresent, Action::kOnline,
        Action::kOffline, Action::kSync, Action::kOccupied, Action::kVacated}) {
    impl_->events.Add({{"action", std::string(ActionName(action))}});
  }
  for (Action action : {Action::kEnter, Action::kLeave, Action::kUpdate}) {
    impl_->reconcile_corrections.Add({{"action", std::string(ActionName(action))}});
  }
  impl_->token_renewals.Add({{"result", "ok"}});
  impl_->token_renewals.Add({{"result", "error"}});
  if (!per_channel) {
    impl_->members.Add({});
    impl_->clients.Add({});
  }
}

Metrics::~Metrics() = default;

void Metrics::SetPerChannel(bool per_channel) {
  if (impl_->per_channel.exchange(per_channel) == per_channel) return;
  MutexLock lock(impl_->channels_mu);
  for (const auto& channel : impl_->channel_names) impl_->DropChannelSeries(channel);
  impl_->channel_names.clear();
  for (Family<Gauge>* family : {&impl_->members, &impl_->clients, &impl_->last_success}) {
    if (family->Has({})) family->Remove(&family->Add({}));
  }
  if (!per_channel) {
    impl_->members.Add({});
    impl_->clients.Add({});
  }
}

void Metrics::SetChannels(uint64_t tracked, uint64_t stale) {
  impl_->channels.Set(static_cast<double>(tracked));
  impl_->channels_stale.Set(static_cast<double>(stale));
}

void Metrics::SetChannelMembers(const std::string& channel, uint64_t members, uint64_t clients) {
  if (!impl_->per_channel) return;
  const Labels labels{{"channel", channel}};
  {
    MutexLock lock(impl_->channels_mu);
    impl_->channel_names.insert(channel);
  }
  impl_->members.Add(labels).Set(static_cast<double>(members));
  impl_->clients.Add(labels).Set(static_cast<double>(clients));
}

void Metrics::SetTotals(uint64_t members, uint64_t clients) {
  if (impl_->per_channel) return;
  impl_->members.Add({}).Set(static_cast<double>(members));
  impl_->clients.Add({}).Set(static_cast<double>(clients));
}

void Metrics::SetOtherChannels(uint64_t members, uint64_t clients,
                               double oldest_success_unix_seconds) {
  impl_->members.Add({}).Set(static_cast<double>(members));
  impl_->clients.Add({}).Set(static_cast<double>(clients));
  if (oldest_success_unix_seconds > 0) {
    impl_->last_success.Add({}).Set(oldest_success_unix_seconds);
  }
}

void Metrics::ClearOtherChannels() {
  if (!impl_->per_channel) return;  // then the unlabelled series are the totals
  for (Family<Gauge>* family : {&impl_->members, &impl_->clients, &impl_->last_success}) {
    if (family->Has({})) family->Remove(&family->Add({}));
  }
}

void Metrics::SetChannelsOccupied(uint64_t channels) {
  impl_->channels_occupied.Set(static_cast<double>(channels));
}

void Metrics::SetClientsDistinct(uint64_t clients) {
  impl_->clients_distinct.Set(static_cast<double>(clients));
}

void Metrics::SetChannelLastSuccess(const std::string& channel, double unix_seconds) {
  if (!impl_->per_channel) {
    impl_->last_success.Add({}).Set(unix_seconds);
    return;
  }
  {
    MutexLock lock(impl_->channels_mu);
    impl_->channel_names.insert(channel);
  }
  impl_->last_success.Add({{"channel", channel}}).Set(unix_seconds);
}

void Metrics::RemoveChannel(const std::string& channel) {
  MutexLock lock(impl_->channels_mu);
  impl_->channel_names.erase(channel);
  impl_->DropChannelSeries(channel);
}

void Metrics::AddReconcileCorrections(Action action, uint64_t count) {
  impl_->reconcile_corrections.Add({{"action", std::string(ActionName(action))}})
      .Increment(static_cast<double>(count));
}

void Metrics::AddEvents(Action action, uint64_t count) {
  impl_->events.Add({{"action", std::string(ActionName(action))}})
      .Increment(static_cast<double>(count));
}

void Metrics::CycleFinished(double seconds, bool overrun) {
  impl_->cycles.Increment();
  impl_->cycle_duration.Observe(seconds);
  if (overrun) impl_->overruns.Increment();
}

void Metrics::ApiRequest(std::string_view status, double seconds) {
  impl_->api_requests.Add({{"status", std::string(status)}}).Increment();
  impl_->api_duration.Observe(seconds);
}

void Metrics::StateCommitFailed() { impl_->state_commit_failures.Increment(); }

void Metrics::AddBillableMessages(uint64_t count) {
  impl_->billable.Increment(static_cast<double>(count));
}

void Metrics::AddStateBytesWritten(uint64_t bytes) {
  impl_->state_bytes_written.Increment(static_cast<double>(bytes));
}

void Metrics::ChannelFetchError(int code) {
  impl_->fetch_errors.Add({{"code", std::to_string(code)}}).Increment();
}

void Metrics::TokenRenewal(bool ok) {
  impl_->token_renewals.Add({{"result", ok ? "ok" : "error"}}).Increment();
}

void Metrics::SetRateLimit(double requests_per_second) {
  impl_->rate_limit.Set(requests_per_second);
}

void Metrics::SetAblyClockOffset(double seconds) { impl_->clock_offset.Set(seconds); }

void Metrics::WebhookRequest(const std::string& webhook, std::string_view status, double seconds) {
  {
    MutexLock lock(impl_->webhooks_mu);
    impl_->webhook_statuses.emplace(webhook, std::string(status));
  }
  impl_->webhook_requests.Add({{"webhook", webhook}, {"status", std::string(status)}}).Increment();
  impl_->webhook_duration.Add({{"webhook", webhook}}, kLatencyBuckets).Observe(seconds);
}

void Metrics::WebhookDelivered(const std::string& webhook, uint64_t events) {
  impl_->webhook_delivered.Add({{"webhook", webhook}}).Increment(static_cast<double>(events));
}

void Metrics::SetWebhookBacklog(const std::string& webhook, uint64_t pending,
                                double oldest_age_seconds, uint64_t dead_letters) {
  const Labels labels{{"webhook", webhook}};
  impl_->webhook_pending.Add(labels).Set(static_cast<double>(pending));
  impl_->webhook_oldest.Add(labels).Set(oldest_age_seconds);
  impl_->webhook_dead.Add(labels).Set(static_cast<double>(dead_letters));
}

void Metrics::AddWebhook(const std::string& webhook) {
  const Labels labels{{"webhook", webhook}};
  impl_->webhook_delivered.Add(labels);
  impl_->webhook_pending.Add(labels);
  impl_->webhook_oldest.Add(labels);
  impl_->webhook_dead.Add(labels);
  impl_->webhook_duration.Add(labels, kLatencyBuckets);
}

void Metrics::RemoveWebhook(const std::string& webhook) {
  const Labels labels{{"webhook", webhook}};
  for (Family<Gauge>* family :
       {&impl_->webhook_pending, &impl_->webhook_oldest, &impl_->webhook_dead}) {
    if (family->Has(labels)) family->Remove(&family->Add(labels));
  }
  if (impl_->webhook_delivered.Has(labels)) {
    impl_->webhook_delivered.Remove(&impl_->webhook_delivered.Add(labels));
  }
  if (impl_->webhook_duration.Has(labels)) {
    impl_->webhook_duration.Remove(&impl_->webhook_duration.Add(labels, kLatencyBuckets));
  }
  MutexLock lock(impl_->webhooks_mu);
  for (auto it = impl_->webhook_statuses.begin(); it != impl_->webhook_statuses.end();) {
    if (it->first != webhook) {
      ++it;
      continue;
    }
    const Labels with_status{{"webhook", webhook}, {"status", it->second}};
    impl_->webhook_requests.Remove(&impl_->webhook_requests.Add(with_status));
    it = impl_->webhook_statuses.erase(it);
  }
}

void Metrics::SetShard(int index, int count) {
  MutexLock lock(impl_->shard_mu);
  if (impl_->shard_series) impl_->shard_info.Remove(impl_->shard_series);
  impl_->shard_series =
      &impl_->shard_info.Add({{"index", std::to_string(index)}, {"count", std::to_string(count)}});
  impl_->shard_series->Set(1);
}

void Metrics::ConfigReloaded(bool success, double unix_seconds) {
  impl_->reload_ok.Set(success ? 1 : 0);
  if (success) impl_->reload_ts.Set(unix_seconds);
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry.Collect();
  AppendProcessMetrics(families);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace presenced
