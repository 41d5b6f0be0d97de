#include "delivery/retry_policy.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

using std::chrono::milliseconds;

WebhookConfig Policy() {
  WebhookConfig w;
  w.retry_initial_backoff = milliseconds(1'000);
  w.retry_max_backoff = milliseconds(10'000);
  w.retry_give_up_after = milliseconds(60'000);
  w.batch_max_events = 3;
  w.batch_max_delay = milliseconds(500);
  return w;
}

struct BackoffCase {
  int64_t failures;
  double random;
  std::optional<milliseconds> retry_after;
  milliseconds want;
};

class BackoffTest : public ::testing::TestWithParam<BackoffCase> {};

TEST_P(BackoffTest, FullJitterUpToTheCappedExponential) {
  const BackoffCase& c = GetParam();
  int calls = 0;
  const UniformRandom random = [&] {
    ++calls;
    return c.random;
  };
  EXPECT_EQ(NextBackoff(Policy(), c.failures, c.retry_after, random), c.want)
      << "failures=" << c.failures << " random=" << c.random;
  EXPECT_EQ(calls, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BackoffTest,
    ::testing::Values(
        // ceiling = min(10s, 1s * 2^(failures-1)); delay = random * ceiling
        BackoffCase{1, 0.999, {}, milliseconds(999)}, BackoffCase{1, 0.5, {}, milliseconds(500)},
        BackoffCase{2, 0.5, {}, milliseconds(1'000)}, BackoffCase{3, 0.5, {}, milliseconds(2'000)},
        BackoffCase{4, 1.0, {}, milliseconds(8'000)}, BackoffCase{5, 1.0, {}, milliseconds(10'000)},
        BackoffCase{500, 1.0, {}, milliseconds(10'000)}, BackoffCase{3, 0.0, {}, milliseconds(0)},
        // Retry-After is a floor, and may exceed max_backoff.
        BackoffCase{1, 0.5, milliseconds(3'000), milliseconds(3'000)},
        BackoffCase{4, 0.75, milliseconds(3'000), milliseconds(6'000)},
        BackoffCase{1, 0.1, milliseconds(120'000), milliseconds(120'000)}));

TEST(RetryAfterTest, ParsesSecondsAndHttpDates) {
  const int64_t now_ms = 1'445'412'480'000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now_ms), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now_ms), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now_ms), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now_ms), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("", now_ms), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", now_ms), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now_ms), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("1.5", now_ms), std::nullopt);
}

TEST(BatchDueTest, SendsWhenFullOrWhenTheOldestWaitedMaxDelay) {
  const WebhookConfig w = Policy();  // max_events 3, max_delay 500ms
  EXPECT_EQ(BatchDueIn(w, 0, 0, 1'000), std::nullopt);
  EXPECT_EQ(BatchDueIn(w, 1, 1'000, 1'000), milliseconds(500));
  EXPECT_EQ(BatchDueIn(w, 2, 1'000, 1'400), milliseconds(100));
  EXPECT_EQ(BatchDueIn(w, 2, 1'000, 1'500), milliseconds(0));
  EXPECT_EQ(BatchDueIn(w, 1, 1'000, 9'000), milliseconds(0));
  EXPECT_EQ(BatchDueIn(w, 3, 1'000, 1'000), milliseconds(0));
}

TEST(GiveUpTest, MeasuredFromTheFirstAttempt) {
  const WebhookConfig w = Policy();  // give_up_after 60s
  EXPECT_FALSE(ShouldGiveUp(w, 1'000, 60'999));
  EXPECT_TRUE(ShouldGiveUp(w, 1'000, 61'000));
}

}  // namespace
}  // namespace presenced
