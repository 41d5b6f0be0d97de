#pragma once

// The Kafka sink (CONTRACT §3 `kafka:`): KafkaSender delivers a batch as one Kafka message per
// event through the sink's KafkaProducer, KafkaSinkMetrics writes the presenced_kafka_* series,
// and KafkaSink puts them together with the sink's outbox settings for the Dispatcher.
// KafkaProducers keeps each sink's producer across reloads that leave its config as it was.
//
// A message: the value is the event's JSON in the sink's format (format events: the event;
// format ably: one Ably webhook item), the headers presenced-event-id, presenced-channel and
// presenced-action, and the key the channel (key: channel) or "<channel>|<clientId>|<connectionId>"
// (key: member; the channel for occupied, vacated and sync).
//
// Outcomes: acknowledged once every message's delivery report says it is written; a message Kafka
// will never take (too large, invalid) rejects the batch (dead-lettered at once); everything else
// is retried until retry.give_up_after, each failure named (kafka_errors.h).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "config/config.h"
#include "delivery/kafka/kafka_producer.h"
#include "delivery/sender.h"
#include "metrics/metrics.h"

namespace presenced {

// How long one attempt waits for delivery reports; a batch not acknowledged by then is retried,
// and the retry goes on waiting for the same messages (kafka_producer.h).
inline constexpr std::chrono::milliseconds kKafkaDeliveryWait{2'000};

// Returns the messages of `events` for `config`, in order.
std::vector<KafkaMessage> KafkaMessages(const KafkaConfig& config,
                                        const std::vector<Event>& events);

// KafkaSender: one sink's sends. Thread-safety: as Sender. Lifetime: holds its producer.
class KafkaSender final : public Sender {
 public:
  KafkaSender(std::shared_ptr<KafkaProducer> producer, std::chrono::milliseconds wait);
  SendOutcome Send(const OutboxBatch& batch) override;

 private:
  const std::shared_ptr<KafkaProducer> producer_;
  const std::chrono::milliseconds wait_;
};

// KafkaSinkMetrics: the presenced_kafka_* series of one sink. An attempt counts its messages in
// presenced_kafka_messages_total{result="ok"} when acknowledged, else in {result="error"} and the
// attempt in presenced_kafka_errors_total{error=<cause>}. Thread-safe (Metrics is).
class KafkaSinkMetrics final : public SinkMetrics {
 public:
  KafkaSinkMetrics(Metrics& metrics, std::string sink)
      : metrics_(metrics), sink_(std::move(sink)) {}
  void Add() override { metrics_.AddKafkaSink(sink_); }
  void Remove() override { metrics_.RemoveKafkaSink(sink_); }
  void Attempt(const OutboxBatch& batch, const SendOutcome& outcome, double) override {
    metrics_.KafkaAttempt(sink_, outcome.kind == SendOutcome::Kind::kAcknowledged,
                          batch.events.size(), outcome.status);
  }
  void Delivered(uint64_t) override {}  // counted by Attempt
  void SetBacklog(uint64_t pending, double oldest_age_seconds, uint64_t dead_letters) override {
    metrics_.SetKafkaBacklog(sink_, pending, oldest_age_seconds, dead_letters);
  }

 private:
  Metrics& metrics_;
  const std::string sink_;
};

// KafkaProducers: the producer of each sink, made once and kept while the sink's config stays
// the same (a reload that changes nothing of it keeps its connections and its batch in
// delivery). It holds no producer alive itself: the senders do. Thread-safe.
class KafkaProducers {
 public:
  // Returns the live producer of `config.name` if its config is `config`, else a new one timed by
  // `clock` (which must outlive it).
  std::shared_ptr<KafkaProducer> Get(const KafkaConfig& config, const Clock& clock);

 private:
  Mutex mu_;
  std::map<std::string, std::weak_ptr<KafkaProducer>> producers_ GUARDED_BY(mu_);
};

// Returns a Kafka sink's batch and retry settings: batches of up to 5,000 events formed as soon
// as events are committed, retries every 0.5 s to 5 s until retry.give_up_after.
OutboxSettings OutboxSettingsOf(const KafkaConfig& config);

// Returns the SinkConfig of each of `sinks`, with producers from `producers` timed by `clock`, and
// series in `metrics` (all must outlive the sinks' workers).
std::vector<SinkConfig> KafkaSinks(const std::vector<KafkaConfig>& sinks, KafkaProducers& producers,
                                   Metrics& metrics, const Clock& clock);

}  // namespace presenced
