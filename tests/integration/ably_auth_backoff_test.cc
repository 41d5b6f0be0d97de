// Token renewal against a failing auth_url, with the strict fake Ably (issue 17): one renewal at
// a time and at most one auth_url hit per backoff step (5 s, doubling) whether it answers 500,
// hangs, hands out expired tokens or tokens Ably does not know; no request goes to Ably with a
// token known to be bad; a reload (SIGHUP) renews at once; a stop while auth_url hangs is quick.

#include <gtest/gtest.h>
#include <signal.h>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using Mode = FakeServiceRules::AuthUrlMode;
using std::chrono::milliseconds;
using std::chrono::seconds;

class AblyAuthBackoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    for (int i = 0; i < 10; ++i) fake_.Enter("ch" + std::to_string(i), "bob", "kb", R"("x")");
  }

  // A daemon polling 10 channels, 4 requests in flight, with tokens from the fake's auth_url
  // (`as`: token, details or request) and this request timeout.
  std::unique_ptr<DaemonHarness> Daemon(const std::string& as, const std::string& timeout = "3s") {
    std::string channels = "channels:\n";
    for (int i = 0; i < 10; ++i) channels += "  - ch" + std::to_string(i) + "\n";
    std::string config = AblyTestConfig(
        fake_, "  auth_url: " + fake_.BaseUrl() + "/auth?as=" + as + "\n  max_in_flight: 4\n",
        channels);
    const std::string fixed = "request_timeout: 3s";
    config.replace(config.find(fixed), fixed.size(), "request_timeout: " + timeout);
    return std::make_unique<DaemonHarness>(dir_, config);
  }

  // Ably requests that carried a token (GET /time carries none).
  size_t BearerRequests() const {
    size_t count = 0;
    for (const RecordedRequest& request : fake_.Requests())
      count += request.auth_scheme == "Bearer";
    return count;
  }
  int Hits() { return fake_.rules().auth_requests(); }
  // Milliseconds between auth_url hits `a` and `b` (0-based).
  int64_t Gap(size_t a, size_t b) {
    const std::vector<int64_t> times = fake_.rules().auth_request_times();
    return times.at(b) - times.at(a);
  }

  FakeAblyServer fake_{FakeOptions()};
  TempDir dir_;
};

TEST_F(AblyAuthBackoffTest, AnAuthUrlAnswering500IsHitOncePerBackoffStepAndASighupRenews) {
  fake_.rules().SetAuthUrlMode(Mode::kFail);
  auto daemon = Daemon("details");
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(*daemon, "credentials"); }, seconds(5)));
  EXPECT_TRUE(NotReadyBecause(*daemon, "HTTP 500"));
  ASSERT_TRUE(WaitFor([&] { return Hits() >= 2; }, seconds(8)));
  EXPECT_GE(Gap(0, 1), 4'900) << "the first backoff step is 5 s";
  EXPECT_FALSE(WaitFor([&] { return Hits() > 2; }, seconds(1))) << "the next step is 10 s";
  EXPECT_EQ(BearerRequests(), 0u) << "no request without a usable token";
  EXPECT_EQ(daemon->Metric("presenced_channels_stale"), 10);
  // Fixed, and reloaded: renewed at once, not after the 10 s step.
  fake_.rules().SetAuthUrlMode(Mode::kNormal);
  daemon->process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Ready(*daemon); }, seconds(3)));
  EXPECT_EQ(Hits(), 3);
  fake_.Enter("ch0", "carol", "kc", R"("y")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon->process(), "enter ch0 carol"); }, seconds(3)));
  EXPECT_EQ(PrintedLeaves(daemon->process()), 0u);
}

TEST_F(AblyAuthBackoffTest, AHangingAuthUrlIsHitOncePerStepAndAStopDoesNotWaitForIt) {
  fake_.rules().SetAuthUrlMode(Mode::kHang);
  auto daemon = Daemon("details", "1s");
  ASSERT_TRUE(daemon->Start());
  // The first fetch times out after 1 s, the next one leaves 5 s later and hangs too.
  ASSERT_TRUE(WaitFor([&] { return Hits() >= 2; }, seconds(9)));
  EXPECT_GE(Gap(0, 1), 5'900);
  EXPECT_EQ(BearerRequests(), 0u);
  EXPECT_TRUE(NotReadyBecause(*daemon, "credentials"));
  const auto stop = std::chrono::steady_clock::now();
  daemon->process().Signal(SIGTERM);
  const std::optional<int> code = daemon->process().Wait(seconds(5));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stop, seconds(2));
  EXPECT_EQ(Hits(), 2);
}

TEST_F(AblyAuthBackoffTest, ATokenThatArrivesExpiredIsNeverSentAndBacksOff) {
  fake_.rules().SetAuthUrlMode(Mode::kExpired);
  auto daemon = Daemon("details");
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(*daemon, "expired"); }, seconds(5)))
      << daemon->process().Stderr();
  EXPECT_FALSE(WaitFor([&] { return Hits() > 1; }, seconds(3)));
  EXPECT_EQ(BearerRequests(), 0u) << "no request with a token known to be expired";
  EXPECT_GE(daemon->Metric("presenced_channels_stale"), 10);
  fake_.rules().SetAuthUrlMode(Mode::kNormal);
  ASSERT_TRUE(WaitFor([&] { return Ready(*daemon); }, seconds(5)));  // the 5 s step ends
  EXPECT_EQ(Hits(), 2);
}

TEST_F(AblyAuthBackoffTest, ATokenAblyDoesNotKnowIsSentOnceAndASighupFetchesAnother) {
  fake_.rules().SetAuthUrlMode(Mode::kUnknown);  // answers `Unauthorized` as a token
  auto daemon = Daemon("token");
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(WaitFor([&] { return NotReadyBecause(*daemon, "40101"); }, seconds(5)))
      << daemon->process().Stderr();
  EXPECT_FALSE(WaitFor([&] { return Hits() > 1; }, seconds(3)));
  EXPECT_EQ(BearerRequests(), 1u) << "refused once, never sent again";
  fake_.rules().SetAuthUrlMode(Mode::kNormal);
  daemon->process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Ready(*daemon); }, seconds(3)));
  EXPECT_EQ(Hits(), 2);
}

}  // namespace
}  // namespace presenced::testing
