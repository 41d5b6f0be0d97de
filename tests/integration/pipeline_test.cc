// End-to-end tests of the real presenced binary against the fake Ably server: events across
// cycles, batching of requests, failures that must not fake leaves, the CLI modes and stopping.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }

  std::string Config(const std::string& channels_yaml, const std::string& extra = "",
                     const std::string& request_timeout = "2s") {
    return "ably:\n  endpoint: " + fake_.BaseUrl() + "\n  request_timeout: " + request_timeout +
           "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n" + "channels:\n" + channels_yaml +
           extra;
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
};

TEST_F(PipelineTest, EnterUpdateLeaveAcrossCycles) {
  fake_.Enter("chat:lobby", "bob", "conn-bob", R"("hello")");
  DaemonHarness daemon(dir_, Config("  - chat:lobby\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty()) << "the first snapshot is a baseline";

  fake_.Enter("chat:lobby", "alice", "conn-alice", R"({"mood":"happy"})");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter chat:lobby alice"); }));
  fake_.Update("chat:lobby", "alice", "conn-alice", R"({"mood":"busy"})");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "update chat:lobby alice"); }));
  fake_.Leave("chat:lobby", "bob", "conn-bob");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave chat:lobby bob"); }));
  EXPECT_EQ(PrintedEvents(daemon.process()),
            (std::vector<std::string>{"enter chat:lobby alice", "update chat:lobby alice",
                                      "leave chat:lobby bob"}));
  // The event line carries the data through untouched.
  EXPECT_NE(daemon.process().Stdout().find(R"("data":{"mood":"busy"})"), std::string::npos);
  EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="enter"})"), 1);
}

TEST_F(PipelineTest, TwoHundredFiftyChannelsAreFetchedInThreeRequests) {
  std::string channels;
  for (int i = 0; i < 250; ++i) channels += "  - ch:" + std::to_string(i) + "\n";
  DaemonHarness daemon(dir_, Config(channels));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  // The batch presence requests (GET /time, which measures Ably's clock, comes first).
  std::vector<RecordedRequest> requests = fake_.Requests();
  std::erase_if(requests, [](const RecordedRequest& r) { return r.path != "/presence"; });
  ASSERT_GE(requests.size(), 3u);
  std::vector<size_t> sizes;
  for (size_t i = 0; i < 3; ++i) sizes.push_back(requests[i].channels.size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 100, 100}));
  EXPECT_EQ(requests[0].ably_version, "3");
  EXPECT_EQ(requests[0].auth_scheme, "Basic");
  EXPECT_EQ(daemon.Metric("presenced_channels"), 250);
}

TEST_F(PipelineTest, FailuresNeverProduceLeaves) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  fake_.Enter("b", "carol", "conn-carol", R"("y")");
  DaemonHarness daemon(dir_, Config("  - a\n  - b\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());

  // A whole-request 500, a 429 with only headers, a truncated body and garbage.
  fake_.FailNextRequests(3, 500, 50000);
  ASSERT_TRUE(daemon.WaitCycles(4));
  EXPECT_GE(daemon.Metric(R"(presenced_api_requests_total{status="500"})"), 1);
  fake_.FailNextRequests(2, 429, 42910, /*headers_only=*/true);
  ASSERT_TRUE(daemon.WaitCycles(3));
  fake_.TruncateNextResponses(2);
  ASSERT_TRUE(daemon.WaitCycles(3));
  fake_.GarbageNextResponses(2);
  ASSERT_TRUE(daemon.WaitCycles(3));
  // A per-channel error while bob really leaves: unknown, so no leave until a fetch succeeds.
  fake_.SetChannelError("a", 40160, 401);
  fake_.Leave("a", "bob", "conn-bob");
  ASSERT_TRUE(daemon.WaitCycles(3));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  EXPECT_GE(daemon.Metric(R"(presenced_channel_fetch_errors_total{code="40160"})"), 1);
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty());
  fake_.ClearChannelError("a");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave a bob"); }));
  EXPECT_EQ(PrintedEvents(daemon.process()), std::vector<std::string>{"leave a bob"});
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
  // All those failures were logged; the key never was, neither raw nor as its Basic-auth form.
  const std::string log = daemon.process().Stderr();
  EXPECT_NE(log.find("failed"), std::string::npos);
  EXPECT_EQ(log.find("fakesecret"), std::string::npos);
  EXPECT_EQ(log.find("ZmFrZWFwcC5mYWtla2V5OmZha2VzZWNyZXQ"), std::string::npos);  // base64(key)
}

TEST_F(PipelineTest, TimeoutsNeverProduceLeaves) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, Config("  - a\n", "", "300ms"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.SetDelay(milliseconds(2'000));
  fake_.Leave("a", "bob", "conn-bob");
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_api_requests_total{status="error"})") >= 2; }));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty());
  fake_.SetDelay(milliseconds(0));
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave a bob"); }));
}

// CONTRACT §1 "Discovered channels": the first enumeration is a baseline; a room found later was
// inactive before, so its members enter.
TEST_F(PipelineTest, DiscoveryAnnouncesRoomsFoundLater) {
  fake_.Enter("room:1", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, "ably:\n  endpoint: " + fake_.BaseUrl() +
                                 "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
                                 "discovery:\n  prefixes: [\"room:\"]\n  interval: 200ms\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 1; }));
  fake_.Enter("room:2", "carol", "conn-carol", R"("y")");  // a room found later: carol enters
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room:2 carol"); }));
  fake_.Enter("room:1", "alice", "conn-alice", R"("z")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room:1 alice"); }));
  // room:2 empties and drops out of the enumeration; carol's leave is still seen.
  fake_.Leave("room:2", "carol", "conn-carol");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave room:2 carol"); }));
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 1; }));
  EXPECT_EQ(
      PrintedEvents(daemon.process()),
      (std::vector<std::string>{"enter room:2 carol", "enter room:1 alice", "leave room:2 carol"}));
}

// A clean stop is the normal path to its end ("stopped cleanly", exit 0), not the last-resort
// exit of a hung stop; how fast it is belongs to no assertion.
void ExpectStoppedCleanly(ChildProcess& process) {
  const auto code = process.Wait(std::chrono::minutes(2));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << process.Stderr();
  EXPECT_NE(process.Stderr().find("stopped cleanly"), std::string::npos) << process.Stderr();
}

TEST_F(PipelineTest, SigtermStopsCleanly) {
  DaemonHarness daemon(dir_, Config("  - a\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  daemon.process().Signal(SIGTERM);
  ExpectStoppedCleanly(daemon.process());
}

// The fetch in flight is held for 10 minutes; the stop waits only until it times out
// (ably.request_timeout, 2s here; nothing of that cycle was committed), then goes through the
// normal path long before the fetch would end.
TEST_F(PipelineTest, SigtermDuringASlowFetchDoesNotWaitForIt) {
  DaemonHarness daemon(dir_, Config("  - a\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.SetDelay(std::chrono::minutes(10));
  const size_t before = fake_.RequestCount();
  ASSERT_TRUE(WaitFor([&] { return fake_.RequestCount() > before; }));  // a fetch is in flight
  daemon.process().Signal(SIGTERM);
  ExpectStoppedCleanly(daemon.process());
  fake_.SetDelay(milliseconds(0));
}

TEST_F(PipelineTest, OncePrintsPresentMembersAndFailsOnAFailedChannel) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  fake_.Enter("a", "bob", "conn-bob-2", R"("y")");  // one clientId on two connections
  DaemonHarness daemon(dir_, Config("  - a\n  - b\n"));
  ChildProcess once({PRESENCED_BINARY, "--config", daemon.config_path(), "--once"},
                    {{"ABLY_API_KEY", kFakeKey}});
  ASSERT_EQ(once.Wait(seconds(20)), 0) << once.Stderr();
  EXPECT_EQ(PrintedEvents(once), (std::vector<std::string>{"present a bob", "present a bob"}));

  fake_.SetChannelError("b", 40160, 401);
  ChildProcess failing({PRESENCED_BINARY, "--config", daemon.config_path(), "--once"},
                       {{"ABLY_API_KEY", kFakeKey}});
  EXPECT_EQ(failing.Wait(seconds(20)), 1);
  EXPECT_EQ(failing.StdoutLines().size(), 2u) << "channel a still prints";
}

TEST_F(PipelineTest, OnceWithClientEventsPrintsOnlineAfterEachClientsFirstPresent) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  fake_.Enter("a", "bob", "conn-bob-2", R"("y")");
  fake_.Enter("a", "cat", "conn-cat", R"("z")");
  DaemonHarness daemon(dir_, Config("  - a\n", "presence:\n  client_events: true\n"));
  ChildProcess once({PRESENCED_BINARY, "--config", daemon.config_path(), "--once"},
                    {{"ABLY_API_KEY", kFakeKey}});
  ASSERT_EQ(once.Wait(seconds(20)), 0) << once.Stderr();
  EXPECT_EQ(PrintedEvents(once),
            (std::vector<std::string>{"present a bob", "online a bob", "present a bob",
                                      "present a cat", "online a cat"}));
}

TEST_F(PipelineTest, CheckConfigAndBadConfig) {
  DaemonHarness daemon(dir_, Config("  - a\n"));
  ChildProcess ok({PRESENCED_BINARY, "--check-config", "--config", daemon.config_path()},
                  {{"ABLY_API_KEY", kFakeKey}});
  EXPECT_EQ(ok.Wait(seconds(10)), 0);
  EXPECT_NE(ok.Stdout().find("valid"), std::string::npos);
  EXPECT_EQ(ok.Stdout().find("fakesecret"), std::string::npos);

  const std::string bad = dir_.WriteFile("bad.yaml", "channels: [a]\npoll:\n  interval: soon\n");
  ChildProcess invalid({PRESENCED_BINARY, "--config", bad}, {{"ABLY_API_KEY", kFakeKey}});
  EXPECT_EQ(invalid.Wait(seconds(10)), 1);
  EXPECT_NE(invalid.Stderr().find("poll.interval"), std::string::npos) << invalid.Stderr();
  EXPECT_NE(invalid.Stderr().find("(line 3)"), std::string::npos) << invalid.Stderr();

  ChildProcess no_key({PRESENCED_BINARY, "--config", daemon.config_path()}, {{"ABLY_API_KEY", ""}});
  EXPECT_EQ(no_key.Wait(seconds(10)), 1);
  EXPECT_NE(no_key.Stderr().find("ABLY_API_KEY"), std::string::npos) << no_key.Stderr();

  ChildProcess usage({PRESENCED_BINARY, "--bogus"});
  EXPECT_EQ(usage.Wait(seconds(10)), 2);
  ChildProcess version({PRESENCED_BINARY, "--version"});
  EXPECT_EQ(version.Wait(seconds(10)), 0);
  EXPECT_EQ(version.Stdout().rfind("presenced ", 0), 0u);
}

TEST_F(PipelineTest, PortInUseIsAClearStartupError) {
  DaemonHarness first(dir_, Config("  - a\n"));
  ASSERT_TRUE(first.Start());
  TempDir other_dir;
  const std::string clash = other_dir.WriteFile(
      "clash.yaml", "state:\n  dir: " + other_dir.path() + "\nhttp:\n  listen: 127.0.0.1:" +
                        std::to_string(first.port()) + "\n" + Config("  - a\n"));
  ChildProcess clashing({PRESENCED_BINARY, "--config", clash}, {{"ABLY_API_KEY", kFakeKey}});
  EXPECT_EQ(clashing.Wait(seconds(10)), 1);
  EXPECT_NE(clashing.Stderr().find("cannot listen on"), std::string::npos) << clashing.Stderr();
}

}  // namespace
}  // namespace presenced::testing
