// Ably's clock (ably/ably_clock.h): GET /time's answer corrected by half the round trip, carried
// forward on the steady clock (a step of the host's wall clock changes nothing), the offset
// gauge, and when to measure again.

#include "ably/ably_clock.h"

#include <gtest/gtest.h>

#include "fake_http_client.h"
#include "fakes/fake_clock.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MetricValue;

AblyConfig Config() {
  AblyConfig config;
  config.endpoint = "https://main.realtime.ably.net";
  return config;
}

TEST(AblyClockTest, ParsesOnlyAblysTimeAnswer) {
  EXPECT_EQ(ParseAblyTime("[1700000000123]"), 1700000000123);
  EXPECT_EQ(ParseAblyTime(" [ 1700000000123 ]\n"), 1700000000123);
  EXPECT_FALSE(ParseAblyTime("1700000000123"));
  EXPECT_FALSE(ParseAblyTime("[]"));
  EXPECT_FALSE(ParseAblyTime("[17e11]"));
  EXPECT_FALSE(ParseAblyTime("{\"error\":{}}"));
}

TEST(AblyClockTest, IsTheHostsClockUntilMeasuredThenAblysCorrectedByHalfTheRoundTrip) {
  FakeClock host;
  Metrics metrics(false);
  AblyClock clock(host, metrics);
  EXPECT_EQ(clock.NowMs(), host.NowMs());
  EXPECT_FALSE(clock.OffsetMs());
  EXPECT_TRUE(clock.MeasureDue());
  // Sent now, answered 400 ms later with a time 5 s ahead of the host when it was sent: Ably's
  // time at the answer is that plus half the round trip.
  const auto sent = host.SteadyNow();
  const int64_t ably_then = host.NowMs() + 5'000 + 200;
  host.Advance(milliseconds(400));
  clock.Record(ably_then, sent, host.SteadyNow());
  EXPECT_EQ(clock.NowMs(), host.NowMs() + 5'000);
  EXPECT_EQ(clock.OffsetMs(), 5'000);
  EXPECT_EQ(clock.RoundTrip(), milliseconds(400));
  EXPECT_DOUBLE_EQ(MetricValue(metrics, "presenced_ably_clock_offset_seconds"), 5.0);
  EXPECT_FALSE(clock.MeasureDue());
  host.Advance(AblyClock::kRemeasure);
  EXPECT_TRUE(clock.MeasureDue());
}

TEST(AblyClockTest, AStepOfTheHostsWallClockChangesNothing) {
  FakeClock host;
  Metrics metrics(false);
  AblyClock clock(host, metrics);
  clock.Record(host.NowMs() - 5'000, host.SteadyNow(), host.SteadyNow());
  const int64_t before = clock.NowMs();
  host.StepWall(milliseconds(-60'000));  // the host's clock jumps back a minute
  host.Advance(milliseconds(1'000));
  EXPECT_EQ(clock.NowMs(), before + 1'000);
}

TEST(AblyClockTest, MeasuresWithGetTimeWithoutCredentialsAndRetriesAFailureAMinuteLater) {
  FakeClock host;
  Metrics metrics(false);
  AblyClock clock(host, metrics);
  const int64_t ably = host.NowMs() - 3'000;
  FakeHttpClient http([&](const HttpRequest&) {
    HttpResponse response;
    response.status = 200;
    response.body = "[" + std::to_string(ably) + "]";
    return HttpResult(response);
  });
  ASSERT_TRUE(clock.Measure(http, Config()).ok());
  const HttpRequest request = http.requests().at(0);
  EXPECT_EQ(request.url, "https://main.realtime.ably.net/time");
  for (const auto& [name, value] : request.headers) EXPECT_NE(name, "Authorization");
  EXPECT_EQ(clock.OffsetMs(), -3'000);
  EXPECT_EQ(MetricValue(metrics, R"(presenced_api_requests_total{status="200"})"), 1);

  AblyClock failing(host, metrics);
  FakeHttpClient down([](const HttpRequest&) {
    return HttpResult(TransportError{TransportFailure::kConnect, "refused"});
  });
  EXPECT_FALSE(failing.Measure(down, Config()).ok());
  EXPECT_FALSE(failing.MeasureDue());
  host.Advance(AblyClock::kRetry);
  EXPECT_TRUE(failing.MeasureDue());
  EXPECT_EQ(failing.NowMs(), host.NowMs());
}

}  // namespace
}  // namespace presenced
