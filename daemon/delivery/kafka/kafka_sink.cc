#include "delivery/kafka/kafka_sink.h"

#include "delivery/payload.h"

namespace presenced {

std::vector<KafkaMessage> KafkaMessages(const KafkaConfig& config,
                                        const std::vector<Event>& events) {
  std::vector<KafkaMessage> messages;
  messages.reserve(events.size());
  for (const Event& e : events) {
    KafkaMessage m;
    const bool by_member = config.key == KafkaConfig::Key::kMember && !IsChannelAction(e.action) &&
                           e.action != Action::kSync;
    m.key = by_member ? e.channel + "|" + e.client_id + "|" + e.connection_id : e.channel;
    m.value =
        config.format == KafkaConfig::Format::kAbly ? AblyItem(config.name, e) : EventToJson(e);
    m.event_id = e.id;
    m.channel = e.channel;
    m.action = ActionName(e.action);
    messages.push_back(std::move(m));
  }
  return messages;
}

KafkaSender::KafkaSender(std::shared_ptr<KafkaProducer> producer, std::chrono::milliseconds wait)
    : producer_(std::move(producer)), wait_(wait) {}

SendOutcome KafkaSender::Send(const OutboxBatch& batch) {
  const KafkaDelivery delivery =
      producer_->Deliver(batch.id, KafkaMessages(producer_->config(), batch.events), wait_);
  if (delivery.acknowledged) return SendOutcome::Acknowledged("ok");
  const std::string cause(CauseLabel(delivery.cause));
  if (delivery.rejected) return SendOutcome::Rejected(cause, delivery.error);
  return SendOutcome::Retry(cause, delivery.error);
}

std::shared_ptr<KafkaProducer> KafkaProducers::Get(const KafkaConfig& config, const Clock& clock) {
  MutexLock lock(mu_);
  std::weak_ptr<KafkaProducer>& slot = producers_[config.name];
  if (std::shared_ptr<KafkaProducer> live = slot.lock(); live && live->config() == config) {
    return live;
  }
  auto made = std::make_shared<KafkaProducer>(config, clock);
  slot = made;
  return made;
}

OutboxSettings OutboxSettingsOf(const KafkaConfig& config) {
  return {"kafka",
          config.name,
          {5'000, Duration(0)},
          {Duration(500), Duration(5'000), config.retry_give_up_after}};
}

std::vector<SinkConfig> KafkaSinks(const std::vector<KafkaConfig>& sinks, KafkaProducers& producers,
                                   Metrics& metrics, const Clock& clock) {
  std::vector<SinkConfig> out;
  out.reserve(sinks.size());
  for (const KafkaConfig& sink : sinks) {
    out.push_back({OutboxSettingsOf(sink),
                   [&producers, &clock, sink]() -> std::unique_ptr<Sender> {
                     return std::make_unique<KafkaSender>(producers.Get(sink, clock),
                                                          kKafkaDeliveryWait);
                   },
                   [&metrics, name = sink.name] {
                     return std::make_unique<KafkaSinkMetrics>(metrics, name);
                   }});
  }
  return out;
}

}  // namespace presenced
