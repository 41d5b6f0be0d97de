// The `kafka:` list (CONTRACT §3): defaults, every key, property values from the environment and
// files, and names shared with webhooks. Invalid cases are fixtures (config_invalid_test.cc).

#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "config_test_helpers.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::FakeEnv;
using testing::KeyEnv;
using testing::kTestKey;
using testing::MustFail;
using testing::MustParse;

TEST(KafkaConfigTest, DefaultsOfAMinimalSink) {
  const Config config = MustParse(
      "channels: [a]\nkafka:\n  - name: stream\n    brokers: \"b1:9092,b2:9092\"\n"
      "    topic: presence-events\n");
  ASSERT_EQ(config.kafka.size(), 1u);
  const KafkaConfig& sink = config.kafka[0];
  EXPECT_EQ(sink.name, "stream");
  EXPECT_EQ(sink.brokers, "b1:9092,b2:9092");
  EXPECT_EQ(sink.topic, "presence-events");
  EXPECT_EQ(sink.key, KafkaConfig::Key::kChannel);
  EXPECT_EQ(sink.format, KafkaConfig::Format::kEvents);
  EXPECT_EQ(sink.channels, std::vector<std::string>{"*"});
  EXPECT_EQ(sink.actions, (std::vector<Action>{Action::kEnter, Action::kLeave, Action::kUpdate,
                                               Action::kPresent}));
  EXPECT_TRUE(sink.properties.empty());
  EXPECT_EQ(sink.retry_give_up_after, Duration(72ll * 3600 * 1000));
  EXPECT_EQ(sink.sync_every, Duration(0));
  EXPECT_TRUE(MustParse("channels: [a]\n").kafka.empty());
}

TEST(KafkaConfigTest, EveryKey) {
  testing::TempDir dir;
  const std::string ca = dir.WriteFile("ca.pem", "not read by the config\n");
  const std::string password_file = dir.WriteFile("password", "from-a-file\n");
  const Config config = MustParse(
      "channels: [a]\npresence: {channel_events: true}\nkafka:\n"
      "  - name: stream\n    brokers: localhost:9092\n    topic: presence.v1\n    key: member\n"
      "    format: ably\n    channels: [\"room:*\"]\n    actions: [enter, leave, occupied, "
      "vacated]\n"
      "    properties:\n      security.protocol: SASL_SSL\n      sasl.mechanism: PLAIN\n"
      "      sasl.username: {env: KAFKA_USER}\n      sasl.password: {file: " +
          password_file + "}\n      ssl.ca.location: " + ca +
          "\n      linger.ms: 20\n"
          "    retry: {give_up_after: 1h}\n    sync_every: 5m\n",
      FakeEnv({{"ABLY_API_KEY", kTestKey}, {"KAFKA_USER", "presenced"}}));
  EXPECT_TRUE(config.presence.channel_events);
  ASSERT_EQ(config.kafka.size(), 1u);
  const KafkaConfig& sink = config.kafka[0];
  EXPECT_EQ(sink.key, KafkaConfig::Key::kMember);
  EXPECT_EQ(sink.format, KafkaConfig::Format::kAbly);
  EXPECT_EQ(sink.channels, std::vector<std::string>{"room:*"});
  EXPECT_EQ(sink.actions, (std::vector<Action>{Action::kEnter, Action::kLeave, Action::kOccupied,
                                               Action::kVacated}));
  ASSERT_EQ(sink.properties.size(), 6u);
  EXPECT_EQ(sink.properties.at("security.protocol").Reveal(), "SASL_SSL");
  EXPECT_EQ(sink.properties.at("sasl.username").Reveal(), "presenced");
  // A file's trailing newline is not part of the value.
  EXPECT_EQ(sink.properties.at("sasl.password").Reveal(), "from-a-file");
  EXPECT_EQ(sink.properties.at("ssl.ca.location").Reveal(), ca);
  EXPECT_EQ(sink.properties.at("linger.ms").Reveal(), "20");
  EXPECT_TRUE(sink.property_sources.empty());
  EXPECT_EQ(sink.retry_give_up_after, Duration(3'600'000));
  EXPECT_EQ(sink.sync_every, Duration(300'000));
}

TEST(KafkaConfigTest, ARelativeFileIsReadFromTheCredentialsDirectory) {
  testing::TempDir dir;
  dir.WriteFile("kafka-password", "s3cret\n");
  const Config config = MustParse(
      "channels: [a]\nkafka:\n  - name: stream\n    brokers: localhost:9092\n    topic: t\n"
      "    properties: {sasl.password: {file: kafka-password}}\n",
      FakeEnv({{"ABLY_API_KEY", kTestKey}, {"CREDENTIALS_DIRECTORY", dir.path()}}));
  ASSERT_EQ(config.kafka.size(), 1u);
  EXPECT_EQ(config.kafka[0].properties.at("sasl.password").Reveal(), "s3cret");
}

// Property values are resolved by the one resolver of {env}/{file} values (header values use it
// too): trailing whitespace dropped, and a missing source is a missing credential, which
// --check-config from a shell only warns about while it checks the rest.
TEST(KafkaConfigTest, PropertySourcesResolveAsHeaderValuesDo) {
  const std::string yaml =
      "channels: [a]\nkafka:\n  - name: stream\n    brokers: localhost:9092\n    topic: t\n"
      "    properties: {sasl.username: {env: KAFKA_USER}, sasl.password: {file: kafka-password}}\n";
  testing::TempDir dir;
  dir.WriteFile("kafka-password", "s3cret\n");
  const Config config = MustParse(yaml, FakeEnv({{"ABLY_API_KEY", kTestKey},
                                                 {"KAFKA_USER", "presenced \n"},
                                                 {"CREDENTIALS_DIRECTORY", dir.path()}}));
  EXPECT_EQ(config.kafka[0].properties.at("sasl.username").Reveal(), "presenced");
  EXPECT_EQ(config.kafka[0].properties.at("sasl.password").Reveal(), "s3cret");

  const ParseOptions warn{.missing_credentials_warn = true};
  Result<Config> checked = ParseConfig(yaml, "p.yaml", FakeEnv({{"ABLY_API_KEY", kTestKey}}), warn);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->warnings,
            (std::vector<std::string>{
                "kafka[0].properties.sasl.password: cannot read kafka-password: No such file or "
                "directory (line 6)",
                "kafka[0].properties.sasl.username: environment variable KAFKA_USER is not set or "
                "empty (line 6)"}));
  // Without the option (the daemon, a reload) it is an error.
  EXPECT_EQ(MustFail(yaml),
            "kafka[0].properties.sasl.password: cannot read kafka-password: No such file or "
            "directory (line 6)");
}

TEST(KafkaConfigTest, ErrorsNeverEchoAPropertyValue) {
  // A bad value from the environment: librdkafka's message names it, ours does not.
  const std::string message = MustFail(
      "channels: [a]\nkafka:\n  - name: stream\n    brokers: localhost:9092\n    topic: t\n"
      "    properties: {linger.ms: {env: LINGER}}\n",
      FakeEnv({{"ABLY_API_KEY", kTestKey}, {"LINGER", "hunter2"}}));
  EXPECT_EQ(message,
            "kafka[0].properties.linger.ms: librdkafka refuses it: Invalid value for configuration "
            "property \"queue.buffering.max.ms\" (line 6)");
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
  const std::string range = MustFail(
      "channels: [a]\nkafka:\n  - {name: s, brokers: \"h:1\", topic: t, properties: {linger.ms: "
      "-77}}\n");
  EXPECT_EQ(range.find("-77"), std::string::npos) << range;
}

TEST(KafkaConfigTest, TheSummaryNamesEachSinkWithoutItsProperties) {
  const std::string summary = DescribeConfig(MustParse(
      "channels: [a]\nkafka:\n  - {name: stream, brokers: \"b1:9092,b2:9092\", topic: events, "
      "properties: {sasl.password: pa55word}}\n"));
  EXPECT_NE(summary.find("; 1 kafka sink (stream → events on b1:9092,b2:9092)"), std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("pa55word"), std::string::npos);
}

TEST(KafkaConfigTest, PluginPathsAreNotLoadedByTheCheck) {
  // librdkafka loads plugins when plugin.library.paths is set: a config check must not.
  const Config config = MustParse(
      "channels: [a]\nkafka:\n  - {name: s, brokers: \"h:1\", topic: t, properties: "
      "{plugin.library.paths: /nonexistent/plugin.so}}\n");
  ASSERT_EQ(config.kafka.size(), 1u);
  EXPECT_EQ(config.kafka[0].properties.at("plugin.library.paths").Reveal(),
            "/nonexistent/plugin.so");
}

TEST(KafkaConfigTest, NamesAreUniqueAcrossKafkaSinks) {
  EXPECT_EQ(MustFail("channels: [a]\nkafka:\n  - {name: s, brokers: \"h:1\", topic: t}\n"
                     "  - {name: s, brokers: \"h:1\", topic: u}\n"),
            "kafka[1].name: duplicate of kafka[0].name (line 4)");
}

TEST(KafkaConfigTest, ChannelEventsCanBeSelectedByWebhooks) {
  const Config config = MustParse(
      "channels: [a]\nwebhooks:\n  - {name: w, url: \"https://h.example.com/\", actions: "
      "[occupied, vacated]}\n");
  ASSERT_EQ(config.webhooks.size(), 1u);
  EXPECT_EQ(config.webhooks[0].actions, (std::vector<Action>{Action::kOccupied, Action::kVacated}));
}

}  // namespace
}  // namespace presenced
