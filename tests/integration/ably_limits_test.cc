// Items 4-7 of "right on day one against the real Ably": rate limits (AIMD, Retry-After, never a
// fallback host for a 4xx), big answers (split batches, paged channels), credentials over plain
// HTTP refused at config check, and the fallback host for CloudFront errors and resets.

#include <gtest/gtest.h>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class AblyLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    fallback_.Start();
  }
  // presenced against fake_, with fallback_ as its only fallback host.
  std::string Config(const std::string& ably_extra, const std::string& rest) {
    return AblyTestConfig(
        fake_,
        "  fallback_hosts: ['127.0.0.1:" + std::to_string(fallback_.port()) + "']\n" + ably_extra,
        rest);
  }
  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  FakeAblyServer fallback_{FakeOptions()};
};

TEST_F(AblyLimitsTest, RateLimitHalvesTheRateHonoursRetryAfterAndCreepsBack) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, Config("  max_requests_per_second: 20\n", "channels: [a]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(daemon.Metric("presenced_api_rate_limit_requests_per_second"), 20);

  fake_.FailNextRequests(1, InjectedFailure{429, 42910, false, "Rate limit exceeded", "1", ""});
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric("presenced_api_rate_limit_requests_per_second") == 10; }));
  // Additive increase: back at the configured ceiling after about ten quiet seconds.
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric("presenced_api_rate_limit_requests_per_second") == 20; },
              seconds(20)));

  // A 429 carrying its code only in headers, without Retry-After: halved as well.
  fake_.FailNextRequests(1, InjectedFailure{429, 42922, true, "Edge rate limit", "", ""});
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric("presenced_api_rate_limit_requests_per_second") < 20; }));
  EXPECT_EQ(fallback_.RequestCount(), 0u) << "a 4xx is never retried on a fallback host";
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u);
}

TEST_F(AblyLimitsTest, BigAnswersAreSplitAndABigChannelIsReadPageByPage) {
  fake_.AddMembers("big", 25'000);
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  fake_.Enter("b", "carol", "conn-carol", R"("y")");
  fake_.SetMaxChannels(2);  // the account's limit: 3 channels in one request → 90010
  DaemonHarness daemon(dir_, Config("  max_response_bytes: 1MiB\n", "channels: [a, b, big]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady(seconds(40)));
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels_stale") == 0; }))
      << daemon.process().Stderr();
  EXPECT_EQ(daemon.Metric(R"(presenced_members{channel="big"})"), 25'000);
  EXPECT_EQ(daemon.Metric(R"(presenced_members{channel="a"})"), 1);
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
  const auto requests = fake_.Requests();
  EXPECT_TRUE(std::any_of(requests.begin(), requests.end(), [](const RecordedRequest& r) {
    return r.path == "/channels/big/presence" && r.query.find("cursor=") != std::string::npos;
  })) << "the big channel is read with the paginated per-channel endpoint";

  fake_.Leave("big", "m7", "c7");
  fake_.Enter("big", "zed", "conn-zed", R"("z")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter big zed"); }, seconds(30)));
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave big m7"); }));
  EXPECT_EQ(PrintedLeaves(daemon.process()), 1u);
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
}

TEST_F(AblyLimitsTest, LongNamesAreSplitBeforeTheUriPassesEightKiB) {
  std::string channels = "channels:\n";
  for (int i = 0; i < 100; ++i) {
    channels += "  - 'room:" + std::string(90, 'x') + ":" + std::to_string(i) + "'\n";
  }
  fake_.Enter("room:" + std::string(90, 'x') + ":99", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, Config("", channels));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
  EXPECT_EQ(daemon.Metric(R"(presenced_api_requests_total{status="414"})"), -1);
}

TEST_F(AblyLimitsTest, CloudFrontErrorsAndResetsGoToAFallbackHost) {
  fake_.Enter("a", "bob", "conn-bob", R"("x")");
  fallback_.Enter("a", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, Config("", "channels: [a]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.FailNextRequests(1, InjectedFailure{403, 0, false, "Forbidden", "", "CloudFront"});
  ASSERT_TRUE(WaitFor([&] { return fallback_.RequestCount() >= 1; }));
  const size_t after_cloudfront = fallback_.RequestCount();
  fake_.rules().ResetNextResponses(1);
  ASSERT_TRUE(WaitFor([&] { return fallback_.RequestCount() > after_cloudfront; }));
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty());
}

TEST_F(AblyLimitsTest, ConfigCheckRefusesCredentialsOverPlainHttpAndBadChannelNames) {
  struct Case {
    std::string yaml;
    std::string message;
  };
  const Case cases[] = {
      {"channels: [a]\nably:\n  endpoint: http://ably.example.com\n",
       "ably.endpoint: would send credentials over plain http:// to a host that is not loopback; "
       "use https:// or set ably.allow_insecure: true (line 3)"},
      {"channels:\n  - a\n  - '[meta]log'\n",
       "channels[1]: must not start with [ or : (Ably rejects such names) (line 3)"},
      {"channels: [a]\nably:\n  endpoint: http://ably.example.com\n  allow_insecure: true\n", ""},
  };
  for (const Case& c : cases) {
    const std::string path = dir_.WriteFile("check.yaml", c.yaml);
    ChildProcess check({PRESENCED_BINARY, "--check-config", "--config", path},
                       {{"ABLY_API_KEY", kFakeKey}});
    const auto code = check.Wait(seconds(10));
    ASSERT_TRUE(code.has_value());
    if (c.message.empty()) {
      EXPECT_EQ(*code, 0) << check.Stderr();
    } else {
      EXPECT_EQ(*code, 1);
      EXPECT_NE(check.Stderr().find(c.message), std::string::npos) << check.Stderr();
    }
  }
}

}  // namespace
}  // namespace presenced::testing
