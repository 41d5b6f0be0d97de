#include "delivery/kafka/kafka_errors.h"

#include <librdkafka/rdkafka.h>

namespace presenced {

std::string_view CauseLabel(KafkaCause cause) {
  switch (cause) {
    case KafkaCause::kBrokerDown:
      return "broker_down";
    case KafkaCause::kUnknownTopic:
      return "unknown_topic";
    case KafkaCause::kAuthentication:
      return "authentication";
    case KafkaCause::kAuthorization:
      return "authorization";
    case KafkaCause::kRejected:
      return "message_rejected";
    case KafkaCause::kTimeout:
      return "timeout";
    case KafkaCause::kFatal:
      return "fatal";
    case KafkaCause::kOther:
      break;
  }
  return "error";
}

KafkaCause CauseOf(int code) {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__BAD_MSG:  // not a Kafka broker answering on that port
      return KafkaCause::kBrokerDown;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return KafkaCause::kUnknownTopic;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
      return KafkaCause::kAuthentication;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return KafkaCause::kAuthorization;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return KafkaCause::kRejected;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return KafkaCause::kTimeout;
    case RD_KAFKA_RESP_ERR__FATAL:
      return KafkaCause::kFatal;
    default:
      return KafkaCause::kOther;
  }
}

std::string Explain(KafkaCause cause, std::string_view topic, std::string_view detail) {
  std::string what;
  switch (cause) {
    case KafkaCause::kBrokerDown:
      what = "brokers unreachable";
      break;
    case KafkaCause::kUnknownTopic:
      what = "topic " + std::string(topic) + " does not exist (unknown topic)";
      break;
    case KafkaCause::kAuthentication:
      what = "authentication failed (check the sasl.* properties)";
      break;
    case KafkaCause::kAuthorization:
      what = "not authorized to write to topic " + std::string(topic) + " (authorization failed)";
      break;
    case KafkaCause::kRejected:
      what = "message rejected by Kafka";
      break;
    case KafkaCause::kTimeout:
      what = "no delivery report in time";
      break;
    case KafkaCause::kFatal:
      what = "producer failed for good and is made anew";
      break;
    case KafkaCause::kOther:
      what = "delivery failed";
      break;
  }
  if (!detail.empty()) what += ": " + std::string(detail);
  return what;
}

}  // namespace presenced
