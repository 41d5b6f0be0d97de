// The `fake_ably` program (CLI, listening line, signals) and the presence simulator.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "fake_ably/fake_ably_server.h"
#include "fake_ably/presence_simulator.h"
#include "fakes/test_support.h"
#include "http_test_client.h"

namespace presenced::testing {
namespace {

const std::map<std::string, std::string> kV3 = {{"X-Ably-Version", "3"}};
constexpr char kListening[] = "fake_ably listening on 127.0.0.1:";

TEST(ProgramTest, PrintsItsPortServesAndStopsOnSigterm) {
  ChildProcess fake({FAKE_ABLY_BINARY, "--port", "0", "--key", "app.key:secret", "--simulate",
                     "channels=3,members=5,churn=0,seed=7"});
  ASSERT_TRUE(WaitFor([&] { return !fake.StdoutLines().empty(); })) << fake.Stderr();
  const std::vector<std::string> lines = fake.StdoutLines();
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_TRUE(lines[0].starts_with(kListening)) << lines[0];
  const int port = std::stoi(lines[0].substr(std::string(kListening).size()));
  ASSERT_GT(port, 0);

  auto headers = kV3;
  headers["Authorization"] = "Basic YXBwLmtleTpzZWNyZXQ=";
  const HttpReply reply =
      Get(static_cast<uint16_t>(port), "/presence?channels=sim:0000,sim:0002", headers);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto results = ParseObject(reply.body)->getArray("results");
  EXPECT_EQ(results->getObject(0)->getArray("presence")->size(), 5u);
  EXPECT_EQ(results->getObject(1)->getArray("presence")->size(), 5u);
  EXPECT_EQ(Get(static_cast<uint16_t>(port), "/presence?channels=sim:0000", kV3).status, 401);

  fake.Signal(SIGTERM);
  EXPECT_EQ(fake.Wait(std::chrono::seconds(10)), 0);
}

TEST(ProgramTest, HistoryRetentionFlagDropsOlderHistory) {
  ChildProcess fake({FAKE_ABLY_BINARY, "--history-retention-ms", "50", "--simulate",
                     "channels=1,members=2,churn=0,seed=7"});
  ASSERT_TRUE(WaitFor([&] { return !fake.StdoutLines().empty(); })) << fake.Stderr();
  const std::string line = fake.StdoutLines()[0];
  const auto port = static_cast<uint16_t>(std::stoi(line.substr(std::string(kListening).size())));
  // The simulator's two enters are recorded, then gone after 50 ms.
  ASSERT_TRUE(WaitFor([&] {
    const HttpReply reply = Get(port, "/channels/sim:0000/presence/history");
    return reply.status == 200 && reply.body == "[]";
  }));
  EXPECT_EQ(
      ParseObject(Get(port, "/_fake/bill").body)->getObject("recorded")->getValue<int>("enter"), 2);
  fake.Signal(SIGTERM);
  EXPECT_EQ(fake.Wait(std::chrono::seconds(10)), 0);
}

TEST(ProgramTest, BadCommandLineExitsWith2) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--bogus", "1"},
                                               {"--port", "70000"},
                                               {"--port"},
                                               {"--history-retention-ms", "soon"},
                                               {"--simulate", "channels=0"},
                                               {"--simulate", "channels=2,colour=red"}}) {
    std::vector<std::string> argv = {FAKE_ABLY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess fake(argv);
    EXPECT_EQ(fake.Wait(std::chrono::seconds(10)), 2) << args[0];
  }
}

TEST(SimulatorTest, ParsesSpecs) {
  auto spec = ParseSimulationSpec("channels=1000,members=100,churn=50.5,seed=9,prefix=room:");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->channels, 1000u);
  EXPECT_EQ(spec->members, 100u);
  EXPECT_DOUBLE_EQ(spec->churn_per_second, 50.5);
  EXPECT_EQ(spec->seed, 9u);
  EXPECT_EQ(spec->prefix, "room:");
  for (const char* bad : {"channels=0", "channels=x", "channels=2,foo=1", "channels", ""}) {
    EXPECT_FALSE(ParseSimulationSpec(bad).ok()) << bad;
  }
  EXPECT_EQ(PresenceSimulator::ChannelName("sim:", 7), "sim:0007");
  EXPECT_EQ(PresenceSimulator::ChannelName("sim:", 12345), "sim:12345");
}

// Returns the member count of every simulated channel after populating and `steps` changes.
std::vector<size_t> Simulate(uint64_t seed, size_t steps) {
  FakeAblyServer fake;
  PresenceSimulator simulator(fake, {.channels = 20, .members = 10, .seed = seed});
  simulator.Populate();
  simulator.Step(steps);
  EXPECT_EQ(simulator.changes(), steps);
  std::vector<size_t> counts;
  for (size_t c = 0; c < 20; ++c) {
    counts.push_back(fake.MemberCount(PresenceSimulator::ChannelName("sim:", c)));
  }
  return counts;
}

TEST(SimulatorTest, IsDeterministicPerSeed) {
  const std::vector<size_t> initial(20, 10);
  EXPECT_EQ(Simulate(1, 0), initial);
  const auto a = Simulate(1, 500);
  EXPECT_EQ(a, Simulate(1, 500));
  EXPECT_NE(a, initial);
  EXPECT_NE(a, Simulate(2, 500));
}

TEST(SimulatorTest, ChurnsOnItsOwn) {
  FakeAblyServer fake;
  PresenceSimulator simulator(fake, {.channels = 5, .members = 3, .churn_per_second = 200});
  simulator.Populate();
  simulator.Start();
  EXPECT_TRUE(WaitFor([&] { return simulator.changes() >= 20; }));
  simulator.Stop();
}

}  // namespace
}  // namespace presenced::testing
