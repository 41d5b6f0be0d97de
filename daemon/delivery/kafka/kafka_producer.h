#pragma once

// KafkaProducer: one Kafka sink's librdkafka producer and the batch it is delivering.
//
// The producer is idempotent with acks=all, so librdkafka keeps the order of a partition's
// messages through its own retries; message.timeout.ms is infinite by default, so librdkafka never
// drops a message on its own (a gap would let a later event of a channel land before an earlier
// one): how long to keep trying is the outbox's give_up_after.
//
// Deliver hands a batch's messages to librdkafka in order and waits a bounded time for their
// delivery reports. A batch is acknowledged only when every message's report says it is written.
// When the wait ends first, the messages stay with librdkafka and the next Deliver of the same
// batch goes on waiting for them instead of producing them again, so a broker outage costs no
// duplicates and no reordering. When some reports fail, the next Deliver sends the whole batch
// again, in order (receivers de-duplicate on the event id). A new batch while another's messages
// are still queued (the old one was given up on) purges what is queued first.
//
// Errors: every failure is a KafkaDelivery with its cause named (kafka_errors.h): from the
// failed reports, or, when reports are missing, from what librdkafka last said about the
// connection (a refused SASL login, brokers down). A librdkafka fatal error makes the handle anew
// at the next Deliver.
//
// Thread-safety: Deliver may be called from any thread, one call at a time (others wait).
// Lifetime: `clock` must outlive it. Destroying it drops what librdkafka still holds (those
// events are still in the outbox).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "config/config.h"
#include "delivery/kafka/kafka_errors.h"

namespace presenced {

// One Kafka message: the key, the value and presenced's headers.
struct KafkaMessage {
  std::string key;
  std::string value;
  std::string event_id;  // header presenced-event-id
  std::string channel;   // header presenced-channel
  std::string action;    // header presenced-action
};

// What one Deliver came to.
struct KafkaDelivery {
  bool acknowledged = false;
  bool rejected = false;  // Kafka will never take a message of the batch as it is
  KafkaCause cause = KafkaCause::kOther;
  std::string error;  // the cause explained (kafka_errors.h Explain), empty when acknowledged
};

class KafkaProducer {
 public:
  // The librdkafka properties presenced sets before the sink's own `properties` (which may change
  // all but the reserved ones: brokers, idempotence, acks).
  static std::vector<std::pair<std::string, std::string>> DefaultProperties(
      const KafkaConfig& config);

  // The handle is made at the first Deliver (and again after a fatal error).
  KafkaProducer(KafkaConfig config, const Clock& clock);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  const KafkaConfig& config() const { return config_; }

  // Delivers `messages`, the batch `batch_id` (the same messages on every call with that id),
  // waiting up to `wait` for their delivery reports.
  KafkaDelivery Deliver(const std::string& batch_id, const std::vector<KafkaMessage>& messages,
                        std::chrono::milliseconds wait);

  struct State;  // librdkafka's handle and the batch in delivery (kafka_producer.cc)

 private:
  const KafkaConfig config_;
  const Clock& clock_;
  Mutex mu_;  // one Deliver at a time: the state is used by the delivering thread only
  const std::unique_ptr<State> state_;
};

}  // namespace presenced
