#pragma once

// Metrics: every presenced_* series of CONTRACT §7 behind plain methods (and, at scrape time, the
// standard process_* metrics: process_metrics.h), so no other module sees
// prometheus-cpp types. Series are created up front (counters at 0) so they exist from the start.
// Thread-safe: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "presence/event.h"

namespace presenced {

class Metrics {
 public:
  // `per_channel` decides whether member gauges carry a `channel` label (CONTRACT
  // metrics.per_channel).
  explicit Metrics(bool per_channel);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Switches the channel label on or off (config reload); drops all per-channel series.
  void SetPerChannel(bool per_channel);

  // Poller.
  void SetChannels(uint64_t tracked, uint64_t stale);
  // Sets members/clients of one channel (with per_channel off, callers report the totals through
  // SetTotals instead and this is a no-op).
  void SetChannelMembers(const std::string& channel, uint64_t members, uint64_t clients);
  void SetTotals(uint64_t members, uint64_t clients);
  // With per_channel on: sets the unlabelled member, client and last-success series to the sums
  // (and the oldest success) of the channels that have no series of their own (discovered
  // channels when metrics.per_channel is not set explicitly), so that sum(presenced_members) stays
  // the total. ClearOtherChannels removes them once every channel has its own.
  void SetOtherChannels(uint64_t members, uint64_t clients, double oldest_success_unix_seconds);
  void ClearOtherChannels();
  // Channels with at least one member.
  void SetChannelsOccupied(uint64_t channels);
  // Distinct clientIds across all channels (always unlabelled).
  void SetClientsDistinct(uint64_t clients);
  void SetChannelLastSuccess(const std::string& channel, double unix_seconds);
  // Removes every series labelled with this channel (channel dropped from the config).
  void RemoveChannel(const std::string& channel);
  void AddEvents(Action action, uint64_t count);
  // Counts events a reconcile snapshot found that presence history missed (history mode).
  void AddReconcileCorrections(Action action, uint64_t count);
  void CycleFinished(double seconds, bool overrun);
  // Counts a cycle whose state commit failed.
  void StateCommitFailed();
  // `status` is the HTTP status code as text, or "error" when no response came back.
  void ApiRequest(std::string_view status, double seconds);
  void AddBillableMessages(uint64_t count);
  // Counts bytes the state store wrote (presenced_state_bytes_written_total).
  void AddStateBytesWritten(uint64_t bytes);
  // `code` is the Ably error code (0 when unknown).
  void ChannelFetchError(int code);
  // A token renewal (a new token from token_file or auth_url) that succeeded or failed.
  void TokenRenewal(bool ok);
  // The current Ably request-rate ceiling in requests per second (0 = none).
  void SetRateLimit(double requests_per_second);
  // Ably's clock minus this host's, in seconds, as last measured with GET /time.
  void SetAblyClockOffset(double seconds);

  // Webhooks. `status` is the HTTP status as text, or "error".
  void WebhookRequest(const std::string& webhook, std::string_view status, double seconds);
  void WebhookDelivered(const std::string& webhook, uint64_t events);
  void SetWebhookBacklog(const std::string& webhook, uint64_t pending, double oldest_age_seconds,
                         uint64_t dead_letters);
  // Creates a webhook's series at zero (webhook configured).
  void AddWebhook(const std::string& webhook);
  // Removes a webhook's series (webhook removed from the config).
  void RemoveWebhook(const std::string& webhook);

  // Kafka sinks (metrics/kafka_series.cc). Creates a sink's series at zero (sink configured).
  void AddKafkaSink(const std::string& sink);
  // Removes a sink's series (sink removed from the config).
  void RemoveKafkaSink(const std::string& sink);
  // Counts one delivery attempt of `messages` messages: acknowledged (`ok`) or not, and when not,
  // its cause (`error`, a bounded name such as "broker_down" or "authentication").
  void KafkaAttempt(const std::string& sink, bool ok, uint64_t messages, std::string_view error);
  void SetKafkaBacklog(const std::string& sink, uint64_t pending, double oldest_age_seconds,
                       uint64_t dead_letters);

  // Sets presenced_shard_info{index,count} (replacing the previous series on a reload).
  void SetShard(int index, int count);

  // Config reloads (the initial load counts as a successful one).
  void ConfigReloaded(bool success, double unix_seconds);

  // Returns the exposition in the Prometheus text format 0.0.4.
  std::string Serialize() const;

 private:
  struct Impl;
  struct KafkaSeries;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<KafkaSeries> kafka_;  // refers to impl_'s registry: destroyed first
};

}  // namespace presenced
