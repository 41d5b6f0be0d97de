// The Kafka sender against librdkafka's mock cluster in process (a real Kafka protocol
// implementation): messages, headers and keys as a consumer reads them, order, and every failure
// named — brokers down and back, a missing topic, refused writes, a refused SASL login, a message
// too large — plus the producer kept across reloads.

#include <gtest/gtest.h>

#include <set>

#include "delivery/kafka/kafka_sink.h"
#include "delivery/payload.h"
#include "kafka_mock/kafka_consumer.h"
#include "kafka_mock/mock_cluster.h"
#include "test_support.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::ConsumedMessage;
using testing::MockCluster;
using testing::ReadTopic;

constexpr milliseconds kWait{1'500};

Event Member(const std::string& channel, Action action, const std::string& client, int n = 0) {
  return MakeEvent(channel, action, client, client + "-conn", client + "-conn:" + std::to_string(n),
                   R"({"n":)" + std::to_string(n) + "}", "json", 1000 + n, 2000 + n);
}

KafkaConfig Sink(const std::string& brokers, const std::string& topic = "presence") {
  KafkaConfig config;
  config.name = "stream";
  config.brokers = brokers;
  config.topic = topic;
  return config;
}

OutboxBatch Batch(std::string id, std::vector<Event> events) {
  return {"stream", std::move(id), 1700000000000, 1, std::move(events)};
}

class KafkaSenderTest : public ::testing::Test {
 protected:
  SendOutcome Send(const KafkaConfig& config, const OutboxBatch& batch, milliseconds wait = kWait) {
    if (!producer_ || !(producer_->config() == config)) producer_ = producers_.Get(config, clock_);
    return KafkaSender(producer_, wait).Send(batch);
  }

  SystemClock clock_;
  KafkaProducers producers_;
  std::shared_ptr<KafkaProducer> producer_;
};

TEST_F(KafkaSenderTest, OneMessagePerEventWithHeadersKeyedByChannelInOrder) {
  MockCluster cluster;
  ASSERT_TRUE(cluster.CreateTopic("presence", 4));
  std::vector<Event> events;
  for (int i = 0; i < 60; ++i) {
    events.push_back(
        Member("room:" + std::to_string(i % 5), Action::kEnter, "u" + std::to_string(i), i));
  }
  const SendOutcome outcome = Send(Sink(cluster.bootstrap()), Batch("b1", events));
  ASSERT_EQ(outcome.kind, SendOutcome::Kind::kAcknowledged) << outcome.error;
  EXPECT_EQ(outcome.status, "ok");
  const std::vector<ConsumedMessage> read = ReadTopic(cluster.bootstrap(), "presence", 60);
  ASSERT_EQ(read.size(), 60u);
  std::map<std::string, std::vector<std::string>> ids_by_channel;
  std::map<std::string, std::set<int32_t>> partitions_by_channel;
  std::map<std::string, const Event*> by_id;
  for (const Event& e : events) by_id[e.id] = &e;
  for (const ConsumedMessage& m : read) {
    const std::string& id = m.headers.at("presenced-event-id");
    ASSERT_TRUE(by_id.contains(id));
    const Event& e = *by_id[id];
    EXPECT_EQ(m.key, e.channel);
    EXPECT_EQ(m.headers.at("presenced-channel"), e.channel);
    EXPECT_EQ(m.headers.at("presenced-action"), "enter");
    EXPECT_EQ(m.value, EventToJson(e));
    ids_by_channel[e.channel].push_back(id);
    partitions_by_channel[e.channel].insert(m.partition);
  }
  for (const auto& [channel, ids] : ids_by_channel) {
    EXPECT_EQ(partitions_by_channel[channel].size(), 1u) << channel;
    std::vector<std::string> want;
    for (const Event& e : events) {
      if (e.channel == channel) want.push_back(e.id);
    }
    EXPECT_EQ(ids, want) << channel;  // a channel's events in outbox order
  }
}

TEST_F(KafkaSenderTest, MemberKeysAndTheAblyFormat) {
  MockCluster cluster;
  ASSERT_TRUE(cluster.CreateTopic("presence", 2));
  KafkaConfig config = Sink(cluster.bootstrap());
  config.key = KafkaConfig::Key::kMember;
  config.format = KafkaConfig::Format::kAbly;
  const Event enter = Member("room:1", Action::kEnter, "ann");
  const Event occupied = ChannelEvent(enter, Action::kOccupied);
  ASSERT_EQ(Send(config, Batch("b1", {enter, occupied})).kind, SendOutcome::Kind::kAcknowledged);
  std::vector<ConsumedMessage> read = ReadTopic(cluster.bootstrap(), "presence", 2);
  ASSERT_EQ(read.size(), 2u);
  std::sort(read.begin(), read.end(), [](const auto& a, const auto& b) {
    return a.headers.at("presenced-action") < b.headers.at("presenced-action");
  });
  EXPECT_EQ(read[0].key, "room:1|ann|ann-conn");
  EXPECT_EQ(read[0].value, AblyItem("stream", enter));
  EXPECT_EQ(read[1].headers.at("presenced-action"), "occupied");
  EXPECT_EQ(read[1].key, "room:1");
  EXPECT_EQ(read[1].value, AblyItem("stream", occupied));
}

TEST_F(KafkaSenderTest, BrokersDownKeepTheBatchAndItGoesOutOnceWhenTheyAreBack) {
  MockCluster cluster;
  ASSERT_TRUE(cluster.CreateTopic("presence", 3));
  const KafkaConfig config = Sink(cluster.bootstrap());
  ASSERT_EQ(Send(config, Batch("b0", {Member("c", Action::kEnter, "warm")})).kind,
            SendOutcome::Kind::kAcknowledged);
  ASSERT_TRUE(cluster.SetDown(-1));
  std::vector<Event> events;
  for (int i = 0; i < 20; ++i) events.push_back(Member("c", Action::kUpdate, "ann", i));
  const SendOutcome down = Send(config, Batch("b1", events), milliseconds(800));
  EXPECT_EQ(down.kind, SendOutcome::Kind::kRetry);
  EXPECT_EQ(down.status, "broker_down") << down.error;
  EXPECT_TRUE(down.error.starts_with("brokers unreachable: ")) << down.error;
  ASSERT_TRUE(cluster.SetUp(-1));
  SendOutcome up;
  ASSERT_TRUE(testing::WaitFor([&] {
    up = Send(config, Batch("b1", events), milliseconds(500));
    return up.kind == SendOutcome::Kind::kAcknowledged;
  })) << up.error;
  // The retry waited for the same messages: each is in the topic once, in order.
  const std::vector<ConsumedMessage> read = ReadTopic(cluster.bootstrap(), "presence", 21);
  std::vector<std::string> ids;
  for (const ConsumedMessage& m : read) {
    if (m.key == "c") ids.push_back(m.headers.at("presenced-event-id"));
  }
  std::vector<std::string> want = {Member("c", Action::kEnter, "warm").id};
  for (const Event& e : events) want.push_back(e.id);
  EXPECT_EQ(ids, want);
}

TEST_F(KafkaSenderTest, AMissingTopicIsNamed) {
  MockCluster cluster(1, /*auto_create=*/false);
  KafkaConfig config = Sink(cluster.bootstrap(), "missing");
  // librdkafka waits this long for a topic to appear before it calls it unknown (default 30 s).
  config.properties["topic.metadata.propagation.max.ms"] = Secret("300");
  SendOutcome outcome;
  ASSERT_TRUE(testing::WaitFor([&] {
    outcome = Send(config, Batch("b1", {Member("c", Action::kEnter, "ann")}), milliseconds(500));
    return outcome.status == "unknown_topic";
  })) << outcome.status
      << ": " << outcome.error;
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::kRetry);
  EXPECT_TRUE(outcome.error.starts_with("topic missing does not exist (unknown topic): "))
      << outcome.error;
}

TEST_F(KafkaSenderTest, RefusedWritesAreNamedAndRetried) {
  MockCluster cluster(1);
  ASSERT_TRUE(cluster.CreateTopic("presence", 1));
  const KafkaConfig config = Sink(cluster.bootstrap());
  cluster.PushErrors(testing::kApiProduce, 29 /* TOPIC_AUTHORIZATION_FAILED */, 50);
  const std::vector<Event> events = {Member("c", Action::kEnter, "ann")};
  const SendOutcome refused = Send(config, Batch("b1", events));
  EXPECT_EQ(refused.kind, SendOutcome::Kind::kRetry);
  EXPECT_EQ(refused.status, "authorization") << refused.error;
  EXPECT_TRUE(refused.error.starts_with(
      "not authorized to write to topic presence (authorization failed): "))
      << refused.error;
  cluster.ClearErrors(testing::kApiProduce);
  SendOutcome allowed;
  ASSERT_TRUE(testing::WaitFor([&] {
    allowed = Send(config, Batch("b1", events));
    return allowed.kind == SendOutcome::Kind::kAcknowledged;
  })) << allowed.error;
}

TEST_F(KafkaSenderTest, ARefusedSaslLoginIsNamed) {
  testing::SaslRefusingBroker broker;
  KafkaConfig config = Sink(broker.bootstrap());
  config.properties["security.protocol"] = Secret("SASL_PLAINTEXT");
  config.properties["sasl.mechanism"] = Secret("PLAIN");
  config.properties["sasl.username"] = Secret("presenced");
  config.properties["sasl.password"] = Secret("wrong");
  const SendOutcome outcome = Send(config, Batch("b1", {Member("c", Action::kEnter, "ann")}));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::kRetry);
  EXPECT_EQ(outcome.status, "authentication") << outcome.error;
  EXPECT_NE(outcome.error.find("Authentication failed: Invalid username or password"),
            std::string::npos)
      << outcome.error;
  EXPECT_EQ(outcome.error.find("wrong"), std::string::npos);
  EXPECT_GE(broker.logins(), 1);
}

TEST_F(KafkaSenderTest, AMessageKafkaNeverTakesRejectsTheBatch) {
  MockCluster cluster(1);
  ASSERT_TRUE(cluster.CreateTopic("presence", 1));
  KafkaConfig config = Sink(cluster.bootstrap());
  config.properties["message.max.bytes"] = Secret("1000");
  Event big = Member("c", Action::kEnter, "ann");
  big.data = "\"" + std::string(3000, 'x') + "\"";
  const SendOutcome outcome = Send(config, Batch("b1", {Member("c", Action::kEnter, "bob"), big}));
  EXPECT_EQ(outcome.kind, SendOutcome::Kind::kRejected);
  EXPECT_EQ(outcome.status, "message_rejected") << outcome.error;
}

TEST(KafkaProducerTest, PresencedSetsTheseBeforeTheSinksProperties) {
  KafkaConfig config = Sink("b1:9092,b2:9092");
  using Property = std::pair<std::string, std::string>;
  EXPECT_EQ(KafkaProducer::DefaultProperties(config),
            (std::vector<Property>{{"bootstrap.servers", "b1:9092,b2:9092"},
                                   {"enable.idempotence", "true"},
                                   {"acks", "all"},
                                   {"client.id", "presenced"},
                                   {"message.timeout.ms", "0"},
                                   {"linger.ms", "5"},
                                   {"reconnect.backoff.max.ms", "1000"},
                                   {"allow.auto.create.topics", "false"}}));
}

TEST_F(KafkaSenderTest, TheProducerIsKeptWhileTheConfigIsTheSame) {
  const KafkaConfig config = Sink("127.0.0.1:1");
  std::shared_ptr<KafkaProducer> first = producers_.Get(config, clock_);
  EXPECT_EQ(producers_.Get(config, clock_), first);
  KafkaConfig changed = config;
  changed.properties["linger.ms"] = Secret("20");
  std::shared_ptr<KafkaProducer> second = producers_.Get(changed, clock_);
  EXPECT_NE(second, first);
  EXPECT_EQ(producers_.Get(changed, clock_), second);
  // The registry keeps none alive: a removed sink's producer goes with its last sender.
  std::weak_ptr<KafkaProducer> gone = second;
  first.reset();
  second.reset();
  EXPECT_TRUE(gone.expired());
}

}  // namespace
}  // namespace presenced
