// Metrics' Kafka methods: one sink's delivery results, failures by cause and backlog.

#include "metrics/kafka_series.h"

namespace presenced {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Labels;

}  // namespace

Metrics::KafkaSeries::KafkaSeries(prometheus::Registry& registry)
    : messages(prometheus::BuildCounter()
                   .Name("presenced_kafka_messages_total")
                   .Help("Kafka messages by delivery result (ok, error), counted per attempt.")
                   .Register(registry)),
      errors(prometheus::BuildCounter()
                 .Name("presenced_kafka_errors_total")
                 .Help("Kafka delivery attempts that failed, by cause.")
                 .Register(registry)),
      pending(prometheus::BuildGauge()
                  .Name("presenced_kafka_pending_events")
                  .Help("Events in a Kafka sink's outbox.")
                  .Register(registry)),
      oldest(prometheus::BuildGauge()
                 .Name("presenced_kafka_oldest_pending_age_seconds")
                 .Help("Age of a Kafka sink's oldest undelivered event.")
                 .Register(registry)),
      dead(prometheus::BuildGauge()
               .Name("presenced_kafka_dead_letter_events")
               .Help("Events a Kafka sink gave up on.")
               .Register(registry)) {}

void Metrics::AddKafkaSink(const std::string& sink) {
  kafka_->messages.Add({{"sink", sink}, {"result", "ok"}});
  kafka_->messages.Add({{"sink", sink}, {"result", "error"}});
  const Labels labels{{"sink", sink}};
  for (Family<Gauge>* family : {&kafka_->pending, &kafka_->oldest, &kafka_->dead}) {
    family->Add(labels);
  }
}

void Metrics::RemoveKafkaSink(const std::string& sink) {
  for (const char* result : {"ok", "error"}) {
    const Labels labels{{"sink", sink}, {"result", result}};
    if (kafka_->messages.Has(labels)) kafka_->messages.Remove(&kafka_->messages.Add(labels));
  }
  const Labels labels{{"sink", sink}};
  for (Family<Gauge>* family : {&kafka_->pending, &kafka_->oldest, &kafka_->dead}) {
    if (family->Has(labels)) family->Remove(&family->Add(labels));
  }
  MutexLock lock(kafka_->mu);
  for (auto it = kafka_->error_labels.begin(); it != kafka_->error_labels.end();) {
    if (it->first != sink) {
      ++it;
      continue;
    }
    kafka_->errors.Remove(&kafka_->errors.Add({{"sink", sink}, {"error", it->second}}));
    it = kafka_->error_labels.erase(it);
  }
}

void Metrics::KafkaAttempt(const std::string& sink, bool ok, uint64_t messages,
                           std::string_view error) {
  kafka_->messages.Add({{"sink", sink}, {"result", ok ? "ok" : "error"}})
      .Increment(static_cast<double>(messages));
  if (ok) return;
  {
    MutexLock lock(kafka_->mu);
    kafka_->error_labels.emplace(sink, std::string(error));
  }
  kafka_->errors.Add({{"sink", sink}, {"error", std::string(error)}}).Increment();
}

void Metrics::SetKafkaBacklog(const std::string& sink, uint64_t pending, double oldest_age_seconds,
                              uint64_t dead_letters) {
  const Labels labels{{"sink", sink}};
  kafka_->pending.Add(labels).Set(static_cast<double>(pending));
  kafka_->oldest.Add(labels).Set(oldest_age_seconds);
  kafka_->dead.Add(labels).Set(static_cast<double>(dead_letters));
}

}  // namespace presenced
