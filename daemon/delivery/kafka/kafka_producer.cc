#include "delivery/kafka/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace presenced {

// The handle and the batch in delivery. librdkafka calls OnDelivery and OnError only from
// rd_kafka_poll, which only Deliver calls (under the producer's mutex): they need no lock.
struct KafkaProducer::State {
  std::string sink;
  std::string topic;
  rd_kafka_t* rk = nullptr;
  uint64_t generation = 0;  // of the messages in delivery; reports of older ones are ignored
  std::string batch_id;
  size_t produced = 0;  // messages of the batch handed to librdkafka
  size_t reported = 0;  // delivery reports received (a message refused at once counts as one)
  size_t failed = 0;    // of them, failed
  int failure = 0;      // the first failure's error code
  std::string failure_text;
  // What librdkafka last said about the client (error_cb) since the last acknowledged batch.
  std::optional<std::pair<int, std::string>> client_error;
  bool fatal = false;

  void Fail(int code, std::string text) {
    if (failed++ == 0) {
      failure = code;
      failure_text = std::move(text);
    }
  }
};

namespace {

using State = KafkaProducer::State;

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  State& state = *static_cast<State*>(opaque);
  if (reinterpret_cast<uintptr_t>(message->_private) != state.generation) return;
  ++state.reported;
  if (message->err) state.Fail(message->err, rd_kafka_err2str(message->err));
}

void OnError(rd_kafka_t* rk, int code, const char* reason, void* opaque) {
  State& state = *static_cast<State*>(opaque);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    char text[512] = "";
    const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, text, sizeof(text));
    state.fatal = true;
    state.client_error = {RD_KAFKA_RESP_ERR__FATAL,
                          std::string(rd_kafka_err2name(cause)) + ": " + text};
    spdlog::error("kafka {}: fatal producer error, making a new producer: {}", state.sink,
                  state.client_error->second);
    return;
  }
  state.client_error = {code, reason};
  spdlog::debug("kafka {}: {}", state.sink, reason);
}

// librdkafka's own log lines (from its threads): what error_cb reports is logged by the outbox
// worker's retry lines, so they go to debug unless librdkafka calls them critical.
void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  if (level <= 2) {
    spdlog::error("kafka: {} {}: {}", rd_kafka_name(rk), facility, text);
  } else {
    spdlog::debug("kafka: {} {}: {}", rd_kafka_name(rk), facility, text);
  }
}

// Makes the handle, or says why it cannot be made.
std::optional<std::string> Create(const KafkaConfig& config, State& state) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512] = "";
  auto set = [&](const std::string& name, const std::string& value) {
    return rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) ==
           RD_KAFKA_CONF_OK;
  };
  bool ok = true;
  for (const auto& [name, value] : KafkaProducer::DefaultProperties(config)) {
    ok = ok && set(name, value);
  }
  for (const auto& [name, value] : config.properties) ok = ok && set(name, value.Reveal());
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return std::string("invalid property: ") + error;
  }
  rd_kafka_conf_set_opaque(conf, &state);
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_log_cb(conf, OnLog);
  state.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (state.rk == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new owns it only on success
    return std::string("cannot make the producer: ") + error;
  }
  return std::nullopt;
}

// Drops what librdkafka still holds and destroys the handle.
void Destroy(State& state) {
  if (state.rk == nullptr) return;
  rd_kafka_purge(
      state.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  ++state.generation;  // the purge's reports are not the batch's
  rd_kafka_poll(state.rk, 0);
  rd_kafka_destroy(state.rk);
  state.rk = nullptr;
}

// Starts delivering `batch_id` anew: reports of earlier messages no longer count.
void Start(State& state, const std::string& batch_id) {
  ++state.generation;
  state.batch_id = batch_id;
  state.produced = state.reported = state.failed = 0;
  state.failure = 0;
  state.failure_text.clear();
}

rd_kafka_resp_err_t Produce(State& state, const KafkaMessage& m) {
  return rd_kafka_producev(
      state.rk, RD_KAFKA_V_TOPIC(state.topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
      RD_KAFKA_V_HEADER("presenced-event-id", m.event_id.data(),
                        static_cast<ssize_t>(m.event_id.size())),
      RD_KAFKA_V_HEADER("presenced-channel", m.channel.data(),
                        static_cast<ssize_t>(m.channel.size())),
      RD_KAFKA_V_HEADER("presenced-action", m.action.data(), static_cast<ssize_t>(m.action.size())),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(state.generation))),
      RD_KAFKA_V_END);
}

KafkaDelivery Failure(KafkaCause cause, const State& state, std::string detail) {
  return {false, cause == KafkaCause::kRejected, cause, Explain(cause, state.topic, detail)};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> KafkaProducer::DefaultProperties(
    const KafkaConfig& config) {
  return {
      {"bootstrap.servers", config.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"client.id", "presenced"},
      // Infinite: librdkafka never gives up on a message by itself (see the header).
      {"message.timeout.ms", "0"},
      // Batches of messages, not one request per message (2–3× the throughput of 0).
      {"linger.ms", "5"},
      // Back within about a second of a broker's return (librdkafka's default is 10 s).
      {"reconnect.backoff.max.ms", "1000"},
      // A misspelt topic is an error, not a new topic.
      {"allow.auto.create.topics", "false"},
  };
}

KafkaProducer::KafkaProducer(KafkaConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), state_(std::make_unique<State>()) {
  state_->sink = config_.name;
  state_->topic = config_.topic;
}

KafkaProducer::~KafkaProducer() {
  MutexLock lock(mu_);
  Destroy(*state_);
}

KafkaDelivery KafkaProducer::Deliver(const std::string& batch_id,
                                     const std::vector<KafkaMessage>& messages,
                                     std::chrono::milliseconds wait) {
  MutexLock lock(mu_);
  State& state = *state_;
  const auto deadline = clock_.SteadyNow() + wait;
  if (state.fatal) {
    Destroy(state);
    state.fatal = false;
    state.batch_id.clear();
  }
  if (state.rk == nullptr) {
    if (auto problem = Create(config_, state)) return Failure(KafkaCause::kOther, state, *problem);
  }
  if (batch_id != state.batch_id) {
    // The last batch was given up on while librdkafka still holds some of it.
    if (state.produced > state.reported) {
      rd_kafka_purge(state.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    }
    Start(state, batch_id);
  } else if (state.failed > 0 && state.reported == state.produced) {
    Start(state, batch_id);  // every report is in and some failed: the whole batch again
  }
  while (state.produced < messages.size()) {
    const rd_kafka_resp_err_t error = Produce(state, messages[state.produced]);
    if (error == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (clock_.SteadyNow() >= deadline) break;
      rd_kafka_poll(state.rk, 10);  // serves reports, which makes room
      continue;
    }
    ++state.produced;
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++state.reported;  // refused at once: this is its report
      state.Fail(error, rd_kafka_err2str(error));
    }
  }
  rd_kafka_poll(state.rk, 0);
  while (state.reported < messages.size()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_.SteadyNow());
    if (left.count() <= 0) break;
    rd_kafka_poll(state.rk, static_cast<int>(std::min<int64_t>(left.count(), 100)));
  }
  const auto known = [&](KafkaCause fallback, std::string detail) {
    if (state.client_error &&
        (fallback == KafkaCause::kTimeout || fallback == KafkaCause::kOther)) {
      return Failure(CauseOf(state.client_error->first), state, state.client_error->second);
    }
    return Failure(fallback, state, std::move(detail));
  };
  if (state.reported < messages.size()) {
    return known(KafkaCause::kTimeout, std::to_string(messages.size() - state.reported) + " of " +
                                           std::to_string(messages.size()) +
                                           " messages not acknowledged after " +
                                           std::to_string(wait.count()) + " ms");
  }
  if (state.failed > 0) {
    const size_t failed = state.failed;
    return known(CauseOf(state.failure), state.failure_text + " (" + std::to_string(failed) +
                                             " of " + std::to_string(messages.size()) +
                                             " messages)");
  }
  state.client_error.reset();
  return {true, false, KafkaCause::kOther, ""};
}

}  // namespace presenced
