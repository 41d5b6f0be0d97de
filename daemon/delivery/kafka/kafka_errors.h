#pragma once

// What went wrong with a Kafka delivery, named: librdkafka's error codes (rd_kafka_resp_err_t,
// passed as int so its header stays out of this one) sorted into the causes an operator acts on.
// Pure functions, thread-safe.

#include <string>
#include <string_view>

namespace presenced {

enum class KafkaCause {
  kBrokerDown,      // no broker reachable (refused, unresolvable, all down, TLS failure)
  kUnknownTopic,    // the topic does not exist (and is not created automatically)
  kAuthentication,  // SASL login refused
  kAuthorization,   // ACLs refuse writing to the topic (or the idempotent producer's cluster ACL)
  kRejected,        // the broker will never take this message as it is (too large, invalid)
  kTimeout,         // no delivery report in time, nothing else known
  kFatal,           // the producer cannot go on (librdkafka's fatal error): it is made anew
  kOther,
};

// Returns the cause as a metric label: "broker_down", "unknown_topic", "authentication",
// "authorization", "message_rejected", "timeout", "fatal" or "error".
std::string_view CauseLabel(KafkaCause cause);

// Returns the cause of librdkafka error `code`.
KafkaCause CauseOf(int code);

// Returns the line an operator reads for `cause`: what it means, then librdkafka's `detail`
// ("authentication failed (check sasl.username/sasl.password): SASL authentication error: …").
std::string Explain(KafkaCause cause, std::string_view topic, std::string_view detail);

}  // namespace presenced
