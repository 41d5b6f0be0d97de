#pragma once

// Kafka brokers for tests, on loopback ports (port 0): librdkafka's own mock cluster
// (rdkafka_mock.h: a real Kafka protocol implementation, not a mock of ours), and a broker that
// refuses every SASL login (librdkafka 2.0.2's mock has no SASL). Used in process by the unit
// tests and by the kafka_mock program (integration tests of the real binary).

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

typedef struct rd_kafka_s rd_kafka_t;
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace presenced::testing {

// Kafka protocol API keys (rdkafka_protocol.h, which librdkafka-dev does not install).
inline constexpr int16_t kApiProduce = 0;
inline constexpr int16_t kApiMetadata = 3;

// MockCluster: `brokers` mock brokers (ids 1..brokers) hosted by a librdkafka handle of its own.
// Not thread-safe itself, but librdkafka's mock functions may be called from any thread.
class MockCluster {
 public:
  // With `auto_create` false, topics a client asks for are not created (Metadata v4, so the
  // mock honours the client's allow.auto.create.topics=false).
  explicit MockCluster(int brokers = 3, bool auto_create = true);
  ~MockCluster();  // the cluster before its host handle (librdkafka aborts otherwise)
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  rd_kafka_mock_cluster_t* cluster() const { return cluster_; }
  // "127.0.0.1:p1,127.0.0.1:p2,…"
  std::string bootstrap() const;
  // Creates `topic` with `partitions` partitions (replication: every broker up to 3).
  bool CreateTopic(const std::string& topic, int partitions);
  // Takes broker `id` (-1: every broker) down, or brings it back on the same port.
  bool SetDown(int id);
  bool SetUp(int id);
  // Makes the next `count` requests of `api` fail with Kafka error `code`; Clear forgets them.
  void PushErrors(int16_t api, int code, int count);
  void ClearErrors(int16_t api);
  // Runs one control line of the kafka_mock program ("down -1", "err 0 29 10", …); returns the
  // reply ("ok …" or "err …").
  std::string Command(const std::string& line);

 private:
  int brokers_;
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// SaslRefusingBroker: one loopback "broker" that speaks just enough of the Kafka protocol
// (ApiVersions v0–3, SaslHandshake v0–1 offering PLAIN, SaslAuthenticate v0–1) to refuse every
// login with SASL_AUTHENTICATION_FAILED (58), as a real broker does on a wrong password.
class SaslRefusingBroker {
 public:
  SaslRefusingBroker();
  ~SaslRefusingBroker();
  SaslRefusingBroker(const SaslRefusingBroker&) = delete;
  SaslRefusingBroker& operator=(const SaslRefusingBroker&) = delete;

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  int logins() const { return logins_; }  // SaslAuthenticate requests refused so far

 private:
  void Run();
  void Serve(int fd);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> logins_{0};
  std::thread thread_;
};

}  // namespace presenced::testing
