// The Ably client's presence history reads (StreamHistory, ReadHistory) against a scripted HTTP
// client: the request it sends, Link paging, billing, failures of a whole window, and the shared
// concurrency and rate limits.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>

#include "ably/rest_client.h"
#include "fake_clock.h"
#include "fake_http_client.h"
#include "metrics/metrics.h"

namespace presenced {
namespace {

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

std::string Target(const HttpRequest& request) {
  const size_t scheme = request.url.find("://");
  return request.url.substr(request.url.find('/', scheme + 3));
}

constexpr char kPage1[] =
    R"([{"id":"k1:0:0","action":2,"clientId":"bob","connectionId":"k1","data":"a","timestamp":1500},)"
    R"({"id":"k1:1:0","action":"4","clientId":"bob","connectionId":"k1","data":{"b":1},"encoding":"json","timestamp":1600}])";
constexpr char kPage2[] =
    R"([{"id":"k1:2:0","action":3,"clientId":"bob","connectionId":"k1","timestamp":1700}])";

class HistoryReaderTest : public ::testing::Test {
 protected:
  HistoryReaderTest() {
    config_.endpoint = "https://ably.example";  // explicit: no fallback hosts
    config_.credential = Secret("appId.keyId:secret");
  }

  std::vector<ChannelHistory> Read(const std::vector<HistoryRequest>& requests) {
    auto client = MakeAblyRestClient(config_, http_, metrics_, clock_, random_);
    std::vector<ChannelHistory> out(requests.size());
    std::mutex mu;
    std::set<size_t> seen;
    client->StreamHistory(requests, cancel_, [&](size_t i, const ChannelHistory& history) {
      std::lock_guard lock(mu);
      EXPECT_TRUE(seen.insert(i).second) << "position " << i << " handed over twice";
      out[i] = history;
    });
    EXPECT_EQ(seen.size(), requests.size());
    return out;
  }

  AblyConfig config_;
  FakeHttpClient http_;
  Metrics metrics_{true};
  FakeClock clock_;
  SeededRandom random_{1};
  std::atomic<bool> cancel_{false};
};

TEST_F(HistoryReaderTest, ReadsEveryPageForwardsAndBillsEachItem) {
  http_.SetResponder([](const HttpRequest& request) {
    if (request.url.find("cursor=") == std::string::npos) {
      return Reply(200, kPage1,
                   {{"Link", R"(<./history?start=1000&end=9000&cursor=7>; rel="next")"}});
    }
    return Reply(200, kPage2);
  });
  const auto results = Read({{"room:1", 1000, 9000}});
  ASSERT_TRUE(results[0].ok) << results[0].error.message;
  EXPECT_EQ(results[0].channel, "room:1");
  const auto requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(
      Target(requests[0]),
      "/channels/room%3A1/presence/history?start=1000&end=9000&direction=forwards&limit=1000");
  EXPECT_EQ(Target(requests[1]),
            "/channels/room%3A1/presence/history?start=1000&end=9000&cursor=7");
  const auto& messages = results[0].messages;
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].action, MessageAction::kEnter);
  EXPECT_EQ(messages[0].member.id, "k1:0:0");
  EXPECT_EQ(messages[0].member.data, R"("a")");
  EXPECT_EQ(messages[1].action, MessageAction::kUpdate);
  EXPECT_EQ(messages[1].member.data, R"({"b":1})");
  EXPECT_EQ(messages[1].member.encoding, "json");
  EXPECT_EQ(messages[2].action, MessageAction::kLeave);
  EXPECT_EQ(messages[2].member.timestamp, 1700);
  EXPECT_EQ(MetricValue(metrics_, "presenced_ably_billable_messages_total"), 3);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_api_requests_total{status="200"})"), 2);
}

TEST_F(HistoryReaderTest, AFailedLaterPageFailsTheWholeWindow) {
  http_.SetResponder([](const HttpRequest& request) {
    if (request.url.find("cursor=") == std::string::npos) {
      return Reply(200, kPage1, {{"Link", R"(<./history?cursor=7>; rel="next")"}});
    }
    return Reply(500, R"({"error":{"code":50000,"statusCode":500,"message":"boom"}})");
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[0].messages.empty());
  EXPECT_EQ(results[0].error.code, 50000);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="50000"})"), 1);
}

TEST_F(HistoryReaderTest, AMalformedItemFailsTheWholeWindow) {
  http_.SetResponder([](const HttpRequest&) {
    return Reply(200, R"([{"id":"k:0:0","action":2,"connectionId":"k","timestamp":1}])");
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[0].messages.empty());
  EXPECT_NE(results[0].error.message.find("clientId"), std::string::npos)
      << results[0].error.message;
}

TEST_F(HistoryReaderTest, SharesMaxInFlightWithSnapshots) {
  config_.max_in_flight = 3;
  http_.SetResponder([](const HttpRequest&) { return Reply(200, "[]"); });
  http_.HoldUntil(3, 10);
  std::vector<HistoryRequest> requests;
  for (int i = 0; i < 10; ++i) requests.push_back({"c" + std::to_string(i), 0, 1});
  const auto results = Read(requests);
  EXPECT_EQ(http_.requests().size(), 10u);
  EXPECT_EQ(http_.max_in_flight(), 3);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok);
    EXPECT_EQ(results[i].channel, "c" + std::to_string(i));
  }
}

TEST_F(HistoryReaderTest, ARateLimitLowersTheSharedCeiling) {
  config_.max_requests_per_second = 40;
  http_.SetResponder([](const HttpRequest&) {
    return Reply(429, R"({"error":{"code":42910,"statusCode":429,"message":"slow down"}})");
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].error.code, 42910);
  EXPECT_EQ(MetricValue(metrics_, "presenced_api_rate_limit_requests_per_second"), 20);
}

TEST_F(HistoryReaderTest, CancelledReadsAreReportedFailed) {
  config_.max_in_flight = 1;
  http_.SetResponder([&](const HttpRequest&) {
    cancel_ = true;
    return Reply(200, "[]");
  });
  const auto results = Read({{"a", 0, 1}, {"b", 0, 1}, {"c", 0, 1}});
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[2].ok);
  EXPECT_EQ(results[2].channel, "c");
}

TEST_F(HistoryReaderTest, ALinkBackToAPageAlreadyReadFailsTheWindowAtOnce) {
  http_.SetResponder([](const HttpRequest& request) {
    return Reply(200, "[]", {{"Link", "<" + Target(request) + R"(>; rel="next")"}});
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_NE(results[0].error.message.find("repeats a page already read"), std::string::npos)
      << results[0].error.message;
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="0"})"), 1);
}

TEST_F(HistoryReaderTest, ALinkOutOfTheHistoryResourceFailsTheWindowWithoutFollowingIt) {
  http_.SetResponder([](const HttpRequest&) {
    return Reply(200, kPage1, {{"Link", R"(<../../../channels?prefix=x>; rel="next")"}});
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[0].messages.empty());
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_NE(results[0].error.message.find("leaves the resource read"), std::string::npos)
      << results[0].error.message;
}

TEST_F(HistoryReaderTest, EndlessNewPagesStopAtTheBound) {
  std::atomic<int> served{0};
  http_.SetResponder([&](const HttpRequest&) {
    return Reply(200, kPage2,
                 {{"Link", "<./history?cursor=" + std::to_string(++served) + R"(>; rel="next")"}});
  });
  const auto results = Read({{"room:1", 0, 9000}});
  EXPECT_FALSE(results[0].ok);
  EXPECT_TRUE(results[0].messages.empty());
  EXPECT_EQ(http_.requests().size(), 100u);
  EXPECT_EQ(results[0].error.message, "more than 100 pages in one read");
}

}  // namespace
}  // namespace presenced
