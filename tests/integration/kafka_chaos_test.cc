// The chaos test with a Kafka sink (webhook_test.cc's KillNineAtRandomMomentsLosesNothing is the
// model): kill -9 at random moments while members churn and the brokers go down and come back;
// then a clean run. Every event presenced printed is in the topic, and the topic, read with
// duplicates dropped (receivers de-duplicate on the event id), replays to exactly the fake's final
// member set, each channel in order.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "kafka_mock/kafka_consumer.h"
#include "kafka_mock/kafka_mock_process.h"
#include "test_seed.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class KafkaChaosTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { fake_.Start(); }

  std::string Config() {
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\nchannels: [c0, c1, c2]\n"
           "presence:\n  mode: " +
           GetParam() +
           "\n  reconcile_every: 5\n  history_lag: 2s\nkafka:\n  - name: stream\n    brokers: \"" +
           kafka_.bootstrap() + "\"\n    topic: presence\n";
  }

  void Collect(const ChildProcess& process) {
    for (const std::string& line : process.StdoutLines()) {
      try {
        auto event = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
        printed_.insert(event->getValue<std::string>("id"));
      } catch (const Poco::Exception&) {
        // A kill -9 in the middle of printing cuts the last line short.
      }
    }
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  KafkaMockProcess kafka_{{"--topic", "presence:3"}};
  std::set<std::string> printed_;
};

TEST_P(KafkaChaosTest, KillNineAtRandomMomentsLosesNothing) {
  const unsigned seed = static_cast<unsigned>(FreshTestSeed());
  SCOPED_TRACE("PRESENCED_TEST_SEED=" + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<std::tuple<std::string, std::string, std::string>> present;
  int next_client = 0;
  auto churn = [&] {
    const int kind = std::uniform_int_distribution<int>(0, 2)(rng);
    if (kind == 0 || present.empty()) {
      const std::string channel = "c" + std::to_string(next_client % 3);
      const std::string client = "m" + std::to_string(next_client++);
      fake_.Enter(channel, client, client + "-conn", "\"v0\"");
      present.emplace_back(channel, client, client + "-conn");
      return;
    }
    const size_t at = std::uniform_int_distribution<size_t>(0, present.size() - 1)(rng);
    auto [channel, client, conn] = present[at];
    if (kind == 1) {
      fake_.Leave(channel, client, conn);
      present.erase(present.begin() + static_cast<long>(at));
    } else {
      fake_.Update(channel, client, conn, "\"v" + std::to_string(rng() % 1000) + "\"");
    }
  };

  for (int round = 0; round < 4; ++round) {
    DaemonHarness daemon(dir_, Config());
    ASSERT_TRUE(daemon.Start());
    ASSERT_TRUE(daemon.WaitReady());
    const int changes = std::uniform_int_distribution<int>(3, 8)(rng);
    for (int i = 0; i < changes; ++i) {
      churn();
      // The brokers go down, come back, or stay as they are.
      const int flap = std::uniform_int_distribution<int>(0, 4)(rng);
      if (flap == 0) {
        ASSERT_EQ(kafka_.Command("down -1"), "ok down -1");
      } else if (flap == 1) {
        ASSERT_EQ(kafka_.Command("up -1"), "ok up -1");
      }
      ASSERT_TRUE(daemon.WaitCycles(1));
    }
    // Chaos timing, not a wait for a condition: kill somewhere inside the next cycle.
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 250)(rng)));
    daemon.process().Signal(SIGKILL);
    ASSERT_TRUE(daemon.process().Wait(seconds(5)).has_value());
    Collect(daemon.process());
    if (round % 2 == 1) churn();  // presence changes while presenced is down
  }

  ASSERT_EQ(kafka_.Command("up -1"), "ok up -1");
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  // History mode reads up to now − 2 s, and compares a reconcile once history was read past it
  // (1 s later): enough 200 ms cycles to read past the last change and the restart's reconcile.
  ASSERT_TRUE(daemon.WaitCycles(GetParam() == "history" ? 25 : 2, seconds(30)));
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_kafka_pending_events{sink="stream"})") == 0; },
      seconds(30)));
  daemon.process().Signal(SIGTERM);
  ASSERT_EQ(daemon.process().Wait(seconds(20)), 0) << daemon.process().Stderr();
  Collect(daemon.process());

  // The topic, first occurrences only, replayed per member in each channel's order.
  std::set<std::string> seen;
  std::map<std::string, std::vector<std::string>> actions_of_member;
  for (const ConsumedMessage& m : ReadTopic(kafka_.bootstrap(), "presence", printed_.size())) {
    if (!seen.insert(m.headers.at("presenced-event-id")).second) continue;
    auto event = Poco::JSON::Parser().parse(m.value).extract<Poco::JSON::Object::Ptr>();
    actions_of_member[m.key + "/" + event->getValue<std::string>("clientId") + "/" +
                      event->getValue<std::string>("connectionId")]
        .push_back(event->getValue<std::string>("action"));
  }
  for (const std::string& id : printed_) EXPECT_TRUE(seen.count(id)) << "printed but lost: " << id;
  std::set<std::string> replayed;
  for (const auto& [member, actions] : actions_of_member) {
    bool in = false;
    for (const std::string& action : actions) {
      if (action == "enter") {
        EXPECT_FALSE(in) << member << " entered twice";
      } else {
        EXPECT_TRUE(in) << member << " " << action << " before its enter";
      }
      in = action != "leave";
    }
    if (in) replayed.insert(member);
  }
  std::set<std::string> truth;
  for (const auto& [channel, client, conn] : present)
    truth.insert(channel + "/" + client + "/" + conn);
  EXPECT_EQ(replayed, truth);
  EXPECT_GT(seen.size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Modes, KafkaChaosTest, ::testing::Values("snapshot", "history"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace presenced::testing
