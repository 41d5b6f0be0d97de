// Item 1 of "right on day one against the real Ably": tokens expire and are renewed. The fake
// Ably issues tokens that answer 401/40142 after their deadline.

#include <gtest/gtest.h>

#include <fstream>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class AblyTokensTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
};

void WriteFileAtomically(const std::string& path, const std::string& text) {
  {
    std::ofstream out(path + ".tmp");
    out << text << "\n";
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
}

TEST_F(AblyTokensTest, TokenFileIsReReadAfterExpiryAndReadinessSaysWhy) {
  fake_.Enter("chat", "bob", "conn-bob", R"("x")");
  const std::string token_file = dir_.path() + "/ably.token";
  const std::string first_token = fake_.rules().IssueToken(seconds(3600));
  WriteFileAtomically(token_file, first_token);
  DaemonHarness daemon(
      dir_, AblyTestConfig(fake_, "  token_file: " + token_file + "\n", "channels: [chat]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());

  // The token expires: Ably answers 40142, the file still holds it, so the daemon says so.
  fake_.rules().ExpireToken(first_token);
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(daemon, "credentials"); }, seconds(10)))
      << Get(daemon.port(), "/-/ready").body << daemon.process().Stderr();
  EXPECT_TRUE(NotReadyBecause(daemon, "40142"));
  EXPECT_GE(daemon.Metric(R"(presenced_ably_token_renewals_total{result="error"})"), 1);
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  fake_.Enter("chat", "carol", "conn-carol", R"("y")");

  // A new token in the file: picked up on the next request, events resume.
  WriteFileAtomically(token_file, fake_.rules().IssueToken(seconds(3600)));
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter chat carol"); }));
  ASSERT_TRUE(WaitFor([&] { return Ready(daemon); }));
  EXPECT_GE(daemon.Metric(R"(presenced_ably_token_renewals_total{result="ok"})"), 1);
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u) << "an expired token never fakes a leave";
  const std::string log = daemon.process().Stderr();
  EXPECT_EQ(log.find("faketoken-"), std::string::npos) << "tokens never reach the logs";
}

TEST_F(AblyTokensTest, AuthUrlTokenRequestIsExchangedAndRenewedBeforeExpiry) {
  fake_.rules().SetTokenTtl(milliseconds(2500));
  fake_.Enter("chat", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_,
                       AblyTestConfig(fake_,
                                      "  auth_url: " + fake_.BaseUrl() + "/auth?as=request\n" +
                                          "  auth_headers: {X-Auth-Secret: hunter2}\n",
                                      "channels: [chat]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  // Renewed (auth_url, then requestToken) before the 2.5 s tokens expire, at least twice.
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_ably_token_renewals_total{result="ok"})") >= 2; },
      seconds(20)));
  const auto requests = fake_.Requests();
  EXPECT_TRUE(std::any_of(requests.begin(), requests.end(), [](const RecordedRequest& r) {
    return r.method == "POST" && r.path == "/keys/fakeapp.fakekey/requestToken";
  }));
  EXPECT_GE(fake_.rules().auth_requests(), 3);
  fake_.Enter("chat", "carol", "conn-carol", R"("y")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter chat carol"); }));
  EXPECT_TRUE(Ready(daemon));
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u);
  EXPECT_EQ(daemon.process().Stderr().find("hunter2"), std::string::npos);
}

TEST_F(AblyTokensTest, AuthUrlTokenDetailsAreRenewedOnATokenError) {
  fake_.Enter("chat", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(
      dir_, AblyTestConfig(fake_, "  auth_url: " + fake_.BaseUrl() + "/auth?as=details\n",
                           "channels: [chat]\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  // Ably revokes the token early (as after a key change): the next request gets 40142, renews
  // once and is sent again in the same cycle, so no channel goes stale.
  fake_.FailNextRequests(1, InjectedFailure{401, 40142, false, "Token expired", "", ""});
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_ably_token_renewals_total{result="ok"})") >= 1; }));
  fake_.Enter("chat", "carol", "conn-carol", R"("y")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter chat carol"); }));
  EXPECT_TRUE(Ready(daemon));
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u);
}

TEST_F(AblyTokensTest, StaticTokenCannotBeRenewedChannelsGoStale) {
  fake_.Enter("chat", "bob", "conn-bob", R"("x")");
  const std::string token = fake_.rules().IssueToken(seconds(3600));
  DaemonHarness daemon(dir_,
                       AblyTestConfig(fake_, "  token_env: ABLY_TOKEN\n", "channels: [chat]\n"),
                       {{"ABLY_TOKEN", token}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.rules().ExpireToken(token);
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(daemon, "cannot be renewed"); }, seconds(10)));
  fake_.Leave("chat", "bob", "conn-bob");
  ASSERT_TRUE(daemon.WaitCycles(3));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  // bob's leave happened while the token was dead: unknown, so no event at all.
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u);
  EXPECT_EQ(daemon.process().Stderr().find(token), std::string::npos);
  // Three intervals without a successful fetch is a cause of its own.
  EXPECT_TRUE(
      WaitFor([&] { return NotReadyBecause(daemon, "no channel was fetched successfully for"); }));
}

TEST_F(AblyTokensTest, AWrongKeyMakesTheDaemonNotReady) {
  fake_.Enter("chat", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, AblyTestConfig(fake_, "", "channels: [chat]\n"),
                       {{"ABLY_API_KEY", "fakeapp.fakekey:wrongsecret"}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(daemon, "Ably rejects the credentials"); }));
  EXPECT_TRUE(NotReadyBecause(daemon, "40101"));
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty());
  EXPECT_EQ(daemon.process().Stderr().find("wrongsecret"), std::string::npos);
}

}  // namespace
}  // namespace presenced::testing
