// Capabilities and `presenced --check-ably` against the strict fake Ably (issue 17): the README's
// capability advice works; the old advice (`presence`, `channel-metadata` on the channels) fails
// with one log line naming `subscribe` and the channel; --check-ably reports each missing
// capability, Ably's clock offset, and hourly figures that match what the daemon then does.

#include <gtest/gtest.h>

#include <regex>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Runs `presenced --check-ably` on `config`; returns (exit code, stdout + stderr).
std::pair<int, std::string> CheckAbly(TempDir& dir, const std::string& config) {
  const std::string path =
      dir.WriteFile("check.yaml", "state:\n  dir: " + dir.path() + "/state\n" + config);
  ChildProcess check({PRESENCED_BINARY, "--check-ably", "--config", path},
                     {{"ABLY_API_KEY", kFakeKey}});
  const std::optional<int> code = check.Wait(seconds(10));
  return {code.value_or(-1), check.Stdout() + check.Stderr()};
}

TEST(AblyCapabilitiesTest, TheAdvisedCapabilityWorksForDiscoveryHistoryAndPresence) {
  FakeAblyServer fake(FakeOptions(kAdvisedCapability));
  fake.Start();
  fake.Enter("room:a", "bob", "kb", R"("x")");
  TempDir dir;
  DaemonHarness daemon(dir,
                       AblyTestConfig(fake, "",
                                      "channels: [lobby]\ndiscovery:\n  prefixes: [\"room:\"]\n"
                                      "  interval: 1s\npresence:\n  mode: history\n"
                                      "  history_lag: 1s\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Enter("room:a", "carol", "kc", R"("y")");
  ASSERT_TRUE(
      WaitFor([&] { return Printed(daemon.process(), "enter room:a carol"); }, seconds(10)));
  EXPECT_EQ(daemon.Metric(R"(presenced_channel_fetch_errors_total{code="40160"})"), -1);
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
}

TEST(AblyCapabilitiesTest, TheOldAdviceFailsWithOneLogLineNamingSubscribeAndTheChannel) {
  FakeAblyServer fake(FakeOptions(R"({"room:*":["presence","channel-metadata"]})"));
  fake.Start();
  fake.Enter("room:a", "bob", "kb", R"("x")");
  TempDir dir;
  DaemonHarness daemon(dir, AblyTestConfig(fake, "", "channels: [\"room:a\"]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_channel_fetch_errors_total{code="40160"})") >= 5; },
      seconds(10)));
  const std::string log = daemon.process().Stderr();
  EXPECT_EQ(Count(log, "missing capability `subscribe` on channel room:a"), 1u) << log;
  EXPECT_NE(log.find(R"({"room:a":["subscribe"]})"), std::string::npos) << log;
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty());
}

TEST(AblyCapabilitiesTest, HistoryWithoutTheHistoryCapabilityIsNamedOnce) {
  FakeAblyServer fake(FakeOptions(R"({"*":["subscribe"]})"));
  fake.Start();
  fake.Enter("room:a", "bob", "kb", R"("x")");
  TempDir dir;
  DaemonHarness daemon(
      dir,
      AblyTestConfig(fake, "",
                     "channels: [\"room:a\"]\npresence:\n  mode: history\n  history_lag: 1s\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_channel_fetch_errors_total{code="40160"})") >= 5; },
      seconds(10)));
  EXPECT_EQ(Count(daemon.process().Stderr(), "missing capability `history` on channel room:a"), 1u)
      << daemon.process().Stderr();
}

TEST(AblyCapabilitiesTest, EnumerationWithoutChannelMetadataOnTheWildcardIsLoggedOnce) {
  FakeAblyServer fake(FakeOptions(R"({"*":["subscribe"],"room:*":["channel-metadata"]})"));
  fake.Start();
  fake.Enter("room:a", "bob", "kb", R"("x")");
  TempDir dir;
  DaemonHarness daemon(
      dir,
      AblyTestConfig(
          fake, "", "channels: [lobby]\ndiscovery:\n  prefixes: [\"room:\"]\n  interval: 200ms\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric(R"(presenced_api_requests_total{status="401"})") >= 4; },
              seconds(10)));
  const std::string log = daemon.process().Stderr();
  EXPECT_EQ(Count(log, "missing capability `channel-metadata` on the resource \"*\""), 2u)
      << "the client's notice and discovery's warning, once each: " << log;
  EXPECT_EQ(Count(log, "discovery: prefix room:: channel enumeration failed"), 1u) << log;
}

TEST(AblyCheckTest, ReportsEveryProbeTheOffsetAndExitsZeroWithTheAdvisedCapability) {
  FakeAblyServer fake(FakeOptions(kAdvisedCapability));
  fake.Start();
  fake.SetClockOffset(std::chrono::milliseconds(5'000));
  fake.Enter("chat", "bob", "kb", R"("x")");
  fake.Enter("room:a", "ann", "ka", R"("y")");
  TempDir dir;
  const auto [code, out] = CheckAbly(
      dir, AblyTestConfig(fake, "",
                          "channels: [chat]\ndiscovery:\n  prefixes: [\"room:\"]\npresence:\n"
                          "  mode: history\n"));
  EXPECT_EQ(code, 0) << out;
  std::smatch offset;
  ASSERT_TRUE(std::regex_search(out, offset, std::regex(R"(Ably's clock is ([0-9.]+)s ahead of)")))
      << out;
  EXPECT_NEAR(std::stod(offset[1]), 5.0, 1.0);
  EXPECT_NE(out.find("enumeration of prefix room:: ok, 1 active channels"), std::string::npos)
      << out;
  EXPECT_NE(out.find("batch presence: ok, 1 of 1 channels answered (1 members)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("presence history: ok, channel chat"), std::string::npos) << out;
  EXPECT_NE(out.find("cost per hour: "), std::string::npos) << out;
  EXPECT_NE(out.find("fits: requests on "), std::string::npos) << out;
  EXPECT_EQ(out.find("fakesecret"), std::string::npos) << "no secret in the output";
}

struct MissingCase {
  const char* name;
  const char* capability;
  const char* failure;  // what the report says
};

class AblyCheckMissingTest : public ::testing::TestWithParam<MissingCase> {};

TEST_P(AblyCheckMissingTest, NamesTheMissingCapabilityTheChannelOrResourceAndTheFix) {
  FakeAblyServer fake(FakeOptions(GetParam().capability));
  fake.Start();
  fake.Enter("chat", "bob", "kb", R"("x")");
  fake.Enter("room:a", "ann", "ka", R"("y")");
  TempDir dir;
  const auto [code, out] = CheckAbly(
      dir, AblyTestConfig(fake, "",
                          "channels: [chat]\ndiscovery:\n  prefixes: [\"room:\"]\npresence:\n"
                          "  mode: history\n"));
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find(GetParam().failure), std::string::npos) << out;
  EXPECT_NE(out.find("result: FAIL"), std::string::npos) << out;
  EXPECT_EQ(out.find("fakesecret"), std::string::npos) << "no secret in the output";
}

INSTANTIATE_TEST_SUITE_P(
    Capabilities, AblyCheckMissingTest,
    ::testing::Values(
        MissingCase{"OldAdvice", R"({"*":["presence","history","channel-metadata"]})",
                    "missing capability `subscribe` on channel chat: reading a channel's presence "
                    "needs `subscribe`"},
        MissingCase{"NoHistory", R"({"*":["subscribe","channel-metadata"]})",
                    "presence history of channel chat: FAIL missing capability `history` on "
                    "channel chat"},
        MissingCase{"MetadataOnThePrefixOnly",
                    R"({"*":["subscribe","history"],"room:*":["channel-metadata"]})",
                    "enumeration of prefix room:: FAIL missing capability `channel-metadata` on "
                    "the resource \"*\""}),
    [](const auto& info) { return std::string(info.param.name); });

// The figures --check-ably gives are what the daemon then does: requests and billed messages
// within 10 % over 10 cycles.
TEST(AblyCheckTest, HourlyFiguresMatchWhatTheDaemonDoes) {
  FakeAblyServer fake(FakeOptions(kAdvisedCapability));
  fake.Start();
  std::string channels = "channels:\n";
  for (int i = 0; i < 150; ++i) {
    const std::string name = "ch" + std::to_string(i);
    channels += "  - " + name + "\n";
    fake.AddMembers(name, i % 7, "m");
  }
  TempDir dir;
  const auto [code, out] = CheckAbly(dir, AblyTestConfig(fake, "", channels));
  ASSERT_EQ(code, 0) << out;
  std::smatch cost;
  ASSERT_TRUE(std::regex_search(
      out, cost, std::regex(R"(cost per hour: ([0-9,]+) requests, ([0-9,]+) billed messages)")))
      << out;
  auto number = [](std::string text) {
    std::erase(text, ',');
    return std::stod(text);
  };
  const double requests_per_hour = number(cost[1]);
  const double messages_per_hour = number(cost[2]);

  TempDir run;
  DaemonHarness daemon(run, AblyTestConfig(fake, "", channels));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  auto requests = [&] {
    double total = 0;
    for (const char* status : {"200", "401", "429", "500", "error"}) {
      total += std::max(0.0, daemon.Metric(std::string(R"(presenced_api_requests_total{status=")") +
                                           status + "\"}"));
    }
    return total;
  };
  const double cycles0 = daemon.Metric("presenced_poll_cycles_total");
  const double requests0 = requests();
  const double billed0 = daemon.Metric("presenced_ably_billable_messages_total");
  ASSERT_TRUE(daemon.WaitCycles(10));
  const double cycles = daemon.Metric("presenced_poll_cycles_total") - cycles0;
  const double per_hour = 3600.0 / 0.2 / cycles;  // poll.interval 200ms
  EXPECT_NEAR((requests() - requests0) * per_hour, requests_per_hour, 0.1 * requests_per_hour);
  EXPECT_NEAR((daemon.Metric("presenced_ably_billable_messages_total") - billed0) * per_hour,
              messages_per_hour, 0.1 * messages_per_hour);
}

}  // namespace
}  // namespace presenced::testing
