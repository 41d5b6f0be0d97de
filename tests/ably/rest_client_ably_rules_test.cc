// The Ably client against Ably's rules (issue 17): a CloudFront 429 teaches the rate limiter on
// the first answer, a missing capability names the capability, the channel and the fix, pages
// of a paged read that later fails are billed, and a history read is not sent once its window
// has left Ably's retention, checked when it leaves.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ably/rest_client.h"
#include "fake_clock.h"
#include "fake_http_client.h"
#include "fake_random.h"
#include "metrics/metrics.h"
#include "test_support.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MetricValue;

HttpResult Reply(int status, std::string body, Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

class AblyRulesTest : public ::testing::Test {
 protected:
  AblyRulesTest() {
    config_.endpoint = "https://ably.example";  // explicit: no fallback hosts
    config_.credential = Secret("appId.keyId:secret");
    config_.batch_response_bytes = 0;
  }
  std::unique_ptr<PresenceSource> Client() {
    return MakeAblyRestClient(config_, http_, metrics_, clock_, random_);
  }

  AblyConfig config_;
  FakeHttpClient http_;
  Metrics metrics_{true};
  FakeClock clock_;
  SeededRandom random_{1};
  std::atomic<bool> cancel_{false};
};

TEST_F(AblyRulesTest, ACloudFront429TeachesTheLimiterOnTheFirstAnswer) {
  config_.fallback_hosts = {"fallback.example"};
  config_.max_requests_per_second = 40;
  http_.SetResponder([](const HttpRequest& request) {
    if (request.url.find("://ably.example/") != std::string::npos) {
      return Reply(429, "<html>Too Many Requests</html>", {{"Server", "CloudFront"}});
    }
    return Reply(
        200, R"({"successCount":1,"failureCount":0,"results":[{"channel":"a","presence":[]}]})");
  });
  // The fallback attempt waits for the lowered ceiling: a few milliseconds of real time.
  const SystemClock real;
  const auto results =
      MakeAblyRestClient(config_, http_, metrics_, real, random_)->FetchPresence({"a"}, cancel_);
  ASSERT_EQ(http_.requests().size(), 2u);  // RSC15l4: retried on the fallback host, which answered
  EXPECT_TRUE(results[0].ok);
  EXPECT_EQ(MetricValue(metrics_, "presenced_api_rate_limit_requests_per_second"), 20);
}

TEST_F(AblyRulesTest, AMissingCapabilityNamesItTheChannelAndTheFix) {
  http_.SetResponder([](const HttpRequest&) {
    return Reply(200, R"({"successCount":1,"failureCount":1,"results":[)"
                      R"({"channel":"room:a","error":{"code":40160,"statusCode":401,)"
                      R"("message":"Given credentials do not have the required capability"}},)"
                      R"({"channel":"ok","presence":[]}]})");
  });
  const auto results = Client()->FetchPresence({"room:a", "ok"}, cancel_);
  ASSERT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].error.code, 40160);
  const std::string& message = results[0].error.message;
  EXPECT_NE(message.find("`subscribe`"), std::string::npos) << message;
  EXPECT_NE(message.find("room:a"), std::string::npos) << message;
  EXPECT_NE(message.find(R"({"room:a":["subscribe"]})"), std::string::npos) << message;
  EXPECT_TRUE(results[1].ok);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="40160"})"), 1);
}

TEST_F(AblyRulesTest, EnumerationWithoutChannelMetadataOnTheWildcardSaysSo) {
  http_.SetResponder([](const HttpRequest&) {
    return Reply(401, R"({"error":{"code":40160,"statusCode":401,)"
                      R"("message":"Listing channels requires the channel-metadata capability"}})");
  });
  Result<std::vector<std::string>> listed = Client()->ListChannels("room:");
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.error().message.find(R"(`channel-metadata` on the resource "*")"),
            std::string::npos)
      << listed.error().message;
}

TEST_F(AblyRulesTest, PagesOfAPagedReadThatLaterFailsAreBilled) {
  http_.SetResponder([](const HttpRequest& request) -> HttpResult {
    if (request.url.find("/presence?channels=") != std::string::npos) {
      return TransportError{TransportFailure::kTooLarge, "over max_response_bytes"};
    }
    if (request.url.find("cursor=2") != std::string::npos) return Reply(500, "");
    return Reply(200,
                 R"([{"id":"c:1:0","action":1,"clientId":"a","connectionId":"c","timestamp":1},)"
                 R"({"id":"d:1:0","action":1,"clientId":"b","connectionId":"d","timestamp":1}])",
                 {{"Link", R"(<./presence?limit=1000&cursor=2>; rel="next")"}});
  });
  const auto results = Client()->FetchPresence({"big"}, cancel_);
  EXPECT_FALSE(results[0].ok);
  // Ably billed the two members of the first page even though the read failed after it.
  EXPECT_EQ(MetricValue(metrics_, "presenced_ably_billable_messages_total"), 2);
}

TEST_F(AblyRulesTest, AHistoryReadIsNotSentOnceItsWindowHasLeftTheRetentionWhenItLeaves) {
  config_.max_in_flight = 1;
  config_.max_requests_per_second = 1;
  http_.SetResponder([](const HttpRequest&) { return Reply(200, "[]"); });
  const int64_t now = clock_.NowMs();
  // The first read leaves at once; the second waits a second for the rate limit, by which time
  // its window, 118.5 s old when the cycle started (inside the 120 s retention, with the 1 s
  // margin), has left it.
  const std::vector<HistoryRequest> requests = {{"a", now - 60'000, now - 5'000, 120'000},
                                                {"b", now - 118'500, now - 5'000, 120'000}};
  std::vector<ChannelHistory> out(requests.size());
  auto client = Client();
  std::thread read([&] {
    client->StreamHistory(requests, cancel_,
                          [&](size_t i, const ChannelHistory& history) { out[i] = history; });
  });
  ASSERT_TRUE(testing::WaitFor([&] {
    const auto wait = clock_.EarliestWait();
    return http_.requests().size() == 1 && wait && *wait > milliseconds(0);
  }));
  clock_.Advance(milliseconds(1'000));
  read.join();
  EXPECT_TRUE(out[0].ok);
  EXPECT_FALSE(out[1].ok);
  EXPECT_TRUE(out[1].out_of_retention);
  EXPECT_EQ(http_.requests().size(), 1u);  // nothing sent for it
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="0"})"), -1);
}

}  // namespace
}  // namespace presenced
