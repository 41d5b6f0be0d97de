#include "ably/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fakes/fake_clock.h"
#include "fakes/test_support.h"
#include "metrics/metrics.h"

namespace presenced {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;

TEST(RateLimiterTest, HalvesOncePerSignalAndCreepsBackToTheConfiguredCeiling) {
  FakeClock clock;
  Metrics metrics(true);
  RateLimiter limiter(20, clock, metrics);
  EXPECT_EQ(limiter.ceiling(), 20);
  limiter.OnRateLimited(std::nullopt);
  EXPECT_EQ(limiter.ceiling(), 10);
  limiter.OnRateLimited(std::nullopt);  // refused together with the first: one signal
  EXPECT_EQ(limiter.ceiling(), 10);
  clock.Advance(1s);
  EXPECT_EQ(limiter.ceiling(), 11);
  clock.Advance(3s);
  EXPECT_EQ(limiter.ceiling(), 14);
  limiter.OnRateLimited(std::nullopt);
  EXPECT_EQ(limiter.ceiling(), 7);
  clock.Advance(60s);
  EXPECT_EQ(limiter.ceiling(), 20);
  EXPECT_NE(metrics.Serialize().find("presenced_api_rate_limit_requests_per_second 20"),
            std::string::npos);
}

TEST(RateLimiterTest, WithoutACeilingHalvesTheRecentRateThenLiftsIt) {
  FakeClock clock;
  Metrics metrics(true);
  RateLimiter limiter(0, clock, metrics);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(limiter.Reserve(0ms).has_value());
  limiter.OnRateLimited(std::nullopt);
  EXPECT_EQ(limiter.ceiling(), 4);
  // Paced at the ceiling: the next starts are 250 ms apart.
  const auto first = *limiter.Reserve(0ms);
  const auto second = *limiter.Reserve(0ms);
  EXPECT_EQ(second - first, 250ms);
  clock.Advance(4s);
  EXPECT_EQ(limiter.ceiling(), 0) << "back at the refused rate: no ceiling";
}

TEST(RateLimiterTest, RetryAfterPausesEveryRequest) {
  FakeClock clock;
  Metrics metrics(true);
  RateLimiter limiter(0, clock, metrics);
  limiter.OnRateLimited(2s);
  EXPECT_FALSE(limiter.Reserve(1s).has_value()) << "a pause longer than allowed fails at once";
  const auto start = limiter.Reserve(5s);
  ASSERT_TRUE(start.has_value());
  EXPECT_GE(*start - clock.SteadyNow(), 2s);
}

// Wait sleeps on the Clock, not in real time: it returns once fake time reaches the reserved
// start, and at once when cancelled.
TEST(RateLimiterTest, WaitSleepsOnTheClockAndStopsWhenCancelled) {
  FakeClock clock;
  Metrics metrics(true);
  RateLimiter limiter(10, clock, metrics);  // one start every 100 ms
  const std::atomic<bool> never{false};
  ASSERT_TRUE(limiter.Wait(never, 0ms)) << "the first start is now";
  std::atomic<int> waited{-1};
  std::thread second([&] { waited = limiter.Wait(never, 0ms); });
  EXPECT_TRUE(testing::WaitFor([&] { return clock.EarliestWait() == 100ms; }));
  EXPECT_EQ(waited, -1);
  clock.Advance(100ms);
  second.join();
  EXPECT_EQ(waited, 1);

  std::atomic<bool> cancel{false};
  std::thread third([&] { waited = limiter.Wait(cancel, 0ms); });
  EXPECT_TRUE(testing::WaitFor([&] { return clock.EarliestWait() == 100ms; }));
  cancel = true;
  third.join();
  EXPECT_EQ(waited, 0);
}

}  // namespace
}  // namespace presenced
