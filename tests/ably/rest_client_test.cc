#include "ably/rest_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/version.h"
#include "fake_http_client.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_random.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MetricValue;
using namespace std::chrono_literals;

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Target(const HttpRequest& request) {
  const size_t scheme = request.url.find("://");
  return request.url.substr(request.url.find('/', scheme + 3));
}

std::map<std::string, std::string> Query(const HttpRequest& request) {
  std::map<std::string, std::string> params;
  const size_t q = request.url.find('?');
  if (q == std::string::npos) return params;
  std::stringstream in(request.url.substr(q + 1));
  std::string pair;
  while (std::getline(in, pair, '&')) {
    const size_t eq = pair.find('=');
    params[pair.substr(0, eq)] = PercentDecode(pair.substr(eq + 1));
  }
  return params;
}

std::vector<std::string> RequestedChannels(const HttpRequest& request) {
  auto params = Query(request);
  const char separator = params.count("separator") ? params["separator"].at(0) : ',';
  std::vector<std::string> names;
  std::stringstream in(params["channels"]);
  std::string name;
  while (std::getline(in, name, separator)) names.push_back(name);
  return names;
}

HttpResponse Respond(int status, std::string body, Headers headers = {}) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

// Answers a batch request in the v3 shape, one member "m-<channel>" per channel.
HttpResult V3Ok(const HttpRequest& request) {
  std::string body = R"({"successCount":1,"failureCount":0,"results":[)";
  bool first = true;
  for (const std::string& name : RequestedChannels(request)) {
    if (!first) body += ",";
    first = false;
    body += R"({"channel":")" + name + R"(","presence":[{"id":"c:1:0","action":1,"clientId":"m-)" +
            name + R"(","connectionId":"c","timestamp":1}]})";
  }
  return Respond(200, body + "]}");
}

AblyConfig Config() {
  AblyConfig config;
  config.endpoint = "https://main.realtime.ably.net";
  config.credential = Secret("appId.keyId:secret");
  return config;
}

// Batches by channel count only (no ably.batch_response_bytes, so no first request that goes
// alone), for tests that hold several requests in flight from the start.
AblyConfig CountConfig() {
  AblyConfig config = Config();
  config.batch_response_bytes = 0;
  return config;
}

std::vector<std::string> Names(int n, const std::string& prefix = "ch") {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

class RestClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<PresenceSource> Client(const AblyConfig& config) {
    return MakeAblyRestClient(config, http_, metrics_, clock_, random_);
  }
  std::vector<ChannelPresence> Fetch(PresenceSource& client,
                                     const std::vector<std::string>& channels) {
    return client.FetchPresence(channels, cancel_);
  }

  FakeHttpClient http_{V3Ok};
  Metrics metrics_{true};
  FakeClock clock_;
  SeededRandom random_{1};
  std::atomic<bool> cancel_{false};
};

TEST_F(RestClientTest, SplitsChannelsIntoBatches) {
  auto client = Client(Config());
  const std::vector<std::string> channels = Names(250);
  std::vector<ChannelPresence> results = Fetch(*client, channels);

  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  std::vector<size_t> sizes;
  std::vector<std::string> requested;
  for (const HttpRequest& request : requests) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.url.rfind("https://main.realtime.ably.net/presence?channels=", 0), 0u);
    std::vector<std::string> names = RequestedChannels(request);
    sizes.push_back(names.size());
    requested.insert(requested.end(), names.begin(), names.end());
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 100, 100}));
  std::sort(requested.begin(), requested.end());
  std::vector<std::string> sorted = channels;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(requested, sorted);

  ASSERT_EQ(results.size(), channels.size());
  for (size_t i = 0; i < channels.size(); ++i) {
    EXPECT_EQ(results[i].channel, channels[i]);
    ASSERT_TRUE(results[i].ok) << results[i].error.message;
    ASSERT_EQ(results[i].members.size(), 1u);
    EXPECT_EQ(results[i].members[0].client_id, "m-" + channels[i]);
  }
  EXPECT_EQ(MetricValue(metrics_, "presenced_ably_billable_messages_total"), 250);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_api_requests_total{status="200"})"), 3);
}

// Answers a batch request in the v3 shape with `members(channel)` members per channel.
HttpResult SizedAnswer(const HttpRequest& request,
                       const std::function<int(const std::string&)>& members) {
  std::string body = R"({"successCount":1,"failureCount":0,"results":[)";
  bool first = true;
  for (const std::string& name : RequestedChannels(request)) {
    if (!first) body += ",";
    first = false;
    body += R"({"channel":")" + name + R"(","presence":[)";
    for (int m = 0; m < members(name); ++m) {
      if (m > 0) body += ",";
      body += R"({"id":"c:1:0","action":1,"clientId":"member-)" + std::to_string(m) +
              R"(","connectionId":"connection","data":"some data of a member","timestamp":1})";
    }
    body += "]}";
  }
  return Respond(200, body + "]}");
}

TEST_F(RestClientTest, PlansBatchesByTheSizeOfEachChannelsLastAnswer) {
  AblyConfig config = Config();
  config.batch_response_bytes = 64 << 10;
  config.max_in_flight = 4;
  // 20 big channels (≈ 12 KiB each: 5 fit in the budget) among 280 small ones.
  auto members = [](const std::string& name) { return name.rfind("big", 0) == 0 ? 120 : 1; };
  std::mutex mu;
  std::vector<size_t> body_sizes;
  int started = 0, answered = 0, started_before_first_answer = 0;
  http_.SetResponder([&](const HttpRequest& request) {
    {
      std::lock_guard lock(mu);
      if (started++ > 0 && answered == 0) ++started_before_first_answer;
    }
    HttpResult answer = SizedAnswer(request, members);
    std::lock_guard lock(mu);
    ++answered;
    body_sizes.push_back(answer.response().body.size());
    return answer;
  });
  std::vector<std::string> channels = Names(140, "small");
  for (const std::string& name : Names(20, "big")) channels.push_back(name);
  for (const std::string& name : Names(140, "tail")) channels.push_back(name);
  auto client = Client(config);

  // The first cycle knows no sizes: its first request is planned by count and goes alone; the
  // others wait for its answer.
  std::vector<ChannelPresence> first = Fetch(*client, channels);
  for (const ChannelPresence& result : first) ASSERT_TRUE(result.ok) << result.error.message;
  const std::vector<HttpRequest> first_requests = http_.requests();
  ASSERT_FALSE(first_requests.empty());
  EXPECT_EQ(RequestedChannels(first_requests[0]).size(), 100u);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(started_before_first_answer, 0);
  }

  // Every later request is planned from the answers: multi-channel answers stay within the
  // budget, the small channels still go 100 to a request, and every channel is fetched once.
  {
    std::lock_guard lock(mu);
    body_sizes.clear();
  }
  std::vector<ChannelPresence> second = Fetch(*client, channels);
  for (const ChannelPresence& result : second) ASSERT_TRUE(result.ok) << result.error.message;
  const std::vector<HttpRequest> all = http_.requests();
  const std::vector<HttpRequest> requests(
      all.begin() + static_cast<ptrdiff_t>(first_requests.size()), all.end());
  ASSERT_EQ(requests.size(), body_sizes.size());
  std::vector<std::string> requested;
  size_t largest_batch = 0;
  for (size_t r = 0; r < requests.size(); ++r) {
    const std::vector<std::string> names = RequestedChannels(requests[r]);
    requested.insert(requested.end(), names.begin(), names.end());
    largest_batch = std::max(largest_batch, names.size());
    if (names.size() > 1) {
      EXPECT_LE(body_sizes[r], config.batch_response_bytes + 64) << "request " << r;
    }
  }
  EXPECT_EQ(largest_batch, 100u);
  std::sort(requested.begin(), requested.end());
  std::vector<std::string> sorted = channels;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(requested, sorted);
  // 140 + 140 small channels need at least 3 requests, 20 big ones at least 4.
  EXPECT_LE(requests.size(), 9u);
  EXPECT_GE(requests.size(), 7u);
}

TEST_F(RestClientTest, ForgetsTheSizesOfChannelsNoLongerPolled) {
  AblyConfig config = Config();
  config.batch_response_bytes = 64 << 10;
  config.max_in_flight = 1;
  auto members = [](const std::string& name) { return name.rfind("big", 0) == 0 ? 120 : 1; };
  http_.SetResponder([&](const HttpRequest& request) { return SizedAnswer(request, members); });
  auto client = Client(config);
  Fetch(*client, Names(20, "big"));
  const size_t before = http_.requests().size();
  // Only new small channels now: the big ones' sizes must not make their average, so the new
  // channels go 100 to a request (not 5, as big ones would).
  Fetch(*client, Names(200, "small"));
  const std::vector<HttpRequest> all = http_.requests();
  ASSERT_EQ(all.size() - before, 2u);
  EXPECT_EQ(RequestedChannels(all[before]).size(), 100u);
  EXPECT_EQ(RequestedChannels(all[before + 1]).size(), 100u);
}

TEST_F(RestClientTest, AChannelBiggerThanTheBudgetGoesAlone) {
  AblyConfig config = Config();
  config.batch_response_bytes = 4 << 10;
  config.max_in_flight = 1;
  // "huge" answers about 12 KiB, three times the budget; the others a few hundred bytes.
  auto members = [](const std::string& name) { return name == "huge" ? 120 : 1; };
  http_.SetResponder([&](const HttpRequest& request) { return SizedAnswer(request, members); });
  std::vector<std::string> channels = Names(5, "a");
  channels.push_back("huge");
  for (const std::string& name : Names(5, "b")) channels.push_back(name);
  auto client = Client(config);
  Fetch(*client, channels);  // learns the sizes
  const size_t before = http_.requests().size();
  Fetch(*client, channels);
  const std::vector<HttpRequest> all = http_.requests();
  std::vector<std::vector<std::string>> batches;
  for (size_t r = before; r < all.size(); ++r) batches.push_back(RequestedChannels(all[r]));
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], Names(5, "a"));
  EXPECT_EQ(batches[1], (std::vector<std::string>{"huge"}));
  EXPECT_EQ(batches[2], Names(5, "b"));
}

TEST_F(RestClientTest, AChannelNotAnsweredYetCountsAsTheAverageSize) {
  AblyConfig config = Config();
  config.batch_response_bytes = 64 << 10;
  config.max_in_flight = 1;
  // Every channel answers about 12 KiB: five fit in the budget.
  auto members = [](const std::string&) { return 120; };
  http_.SetResponder([&](const HttpRequest& request) { return SizedAnswer(request, members); });
  auto client = Client(config);
  const std::vector<std::string> known = Names(10, "known");
  Fetch(*client, known);  // learns their sizes
  const size_t before = http_.requests().size();
  // Twenty new channels after the known ones: counted at the known ones' average size, they go
  // about five to a request too, not all in one.
  std::vector<std::string> channels = known;
  for (const std::string& name : Names(20, "new")) channels.push_back(name);
  Fetch(*client, channels);
  const std::vector<HttpRequest> all = http_.requests();
  ASSERT_GE(all.size() - before, 6u);
  for (size_t r = before; r < all.size(); ++r) {
    EXPECT_LE(RequestedChannels(all[r]).size(), 6u) << "request " << r - before;
  }
}

TEST_F(RestClientTest, WithoutASizeBudgetBatchesAreByCountFromTheStart) {
  AblyConfig config = Config();
  config.batch_response_bytes = 0;
  auto members = [](const std::string&) { return 120; };
  http_.SetResponder([&](const HttpRequest& request) { return SizedAnswer(request, members); });
  Fetch(*Client(config), Names(250));
  std::vector<size_t> sizes;
  for (const HttpRequest& request : http_.requests()) {
    sizes.push_back(RequestedChannels(request).size());
  }
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{50, 100, 100}));
}

TEST_F(RestClientTest, PercentEncodesNamesAndPicksASeparator) {
  auto client = Client(Config());
  Fetch(*client, {"foo:bar,baz", "plain"});
  Fetch(*client, {"foo:bar", "baz"});
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(Target(requests[0]), "/presence?channels=foo%3Abar%2Cbaz%7Cplain&separator=%7C");
  EXPECT_EQ(Target(requests[1]), "/presence?channels=foo%3Abar%2Cbaz");
}

TEST_F(RestClientTest, SendsExactHeaders) {
  AblyConfig basic = Config();
  AblyConfig bearer = Config();
  bearer.auth = AblyConfig::Auth::kBearer;
  bearer.credential = Secret("tok");
  bearer.request_timeout = 7s;
  bearer.connect_timeout = 2s;
  bearer.max_response_bytes = 12345;
  Fetch(*Client(basic), {"a"});
  Fetch(*Client(bearer), {"a"});
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 2u);
  const Headers common = {{"Accept", "application/json"},
                          {"X-Ably-Version", "3"},
                          {"Ably-Agent", std::string("presenced/") + kVersion}};
  Headers want_basic = common;
  want_basic.emplace_back("Authorization", "Basic YXBwSWQua2V5SWQ6c2VjcmV0");
  Headers want_bearer = common;
  want_bearer.emplace_back("Authorization", "Bearer dG9r");
  EXPECT_EQ(requests[0].headers, want_basic);
  EXPECT_EQ(requests[1].headers, want_bearer);
  EXPECT_EQ(requests[1].request_timeout, 7s);
  EXPECT_EQ(requests[1].connect_timeout, 2s);
  EXPECT_EQ(requests[1].max_response_bytes, 12345u);
  // Connections outlive the default 15 s poll interval, so cycles reuse them.
  EXPECT_GT(requests[1].keep_alive_idle, std::chrono::milliseconds(15s));
}

struct FallbackCase {
  const char* name;
  HttpResult primary;
  bool retried;
};

class FallbackTest : public RestClientTest, public ::testing::WithParamInterface<FallbackCase> {};

TEST_P(FallbackTest, RetriesOnlyTransportErrorsAnd5xx) {
  AblyConfig config = Config();
  config.fallback_hosts = {"main.a.fallback.ably-realtime.com"};
  const HttpResult primary = GetParam().primary;
  http_.SetResponder([&](const HttpRequest& request) {
    if (request.url.find("://main.realtime.ably.net/") != std::string::npos) return primary;
    return V3Ok(request);
  });
  auto client = Client(config);
  std::vector<ChannelPresence> results = Fetch(*client, {"a", "b"});
  std::vector<HttpRequest> requests = http_.requests();
  if (GetParam().retried) {
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].url.rfind("https://main.a.fallback.ably-realtime.com/presence?", 0), 0u);
    EXPECT_EQ(Target(requests[1]), Target(requests[0]));
    EXPECT_TRUE(results[0].ok && results[1].ok);
  } else {
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_FALSE(results[0].ok || results[1].ok);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FallbackTest,
    ::testing::Values(
        FallbackCase{"Http503", Respond(503, R"({"error":{"code":50003,"statusCode":503}})"), true},
        FallbackCase{"Http500", Respond(500, ""), true},
        FallbackCase{"Http504", Respond(504, ""), true},
        FallbackCase{"Timeout", TransportError{TransportFailure::kTimeout, "timeout"}, true},
        FallbackCase{"Connect", TransportError{TransportFailure::kConnect, "refused"}, true},
        FallbackCase{"Http400", Respond(400, R"({"error":{"code":40000,"statusCode":400}})"),
                     false},
        FallbackCase{"Http401", Respond(401, R"({"error":{"code":40101,"statusCode":401}})"),
                     false},
        FallbackCase{"Http429", Respond(429, "", {{"X-Ably-ErrorCode", "42922"}}), false},
        FallbackCase{"Http505", Respond(505, ""), false},
        FallbackCase{"CloudFront403",
                     Respond(403, "<html>Forbidden</html>", {{"Server", "CloudFront"}}), true},
        FallbackCase{"Reset", TransportError{TransportFailure::kReset, "reset"}, true},
        FallbackCase{"Truncated", TransportError{TransportFailure::kProtocol, "truncated"}, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(RestClientTest, NoFallbackHostsMeansNoRetry) {
  http_.SetResponder([](const HttpRequest&) { return Respond(503, ""); });
  auto client = Client(Config());
  std::vector<ChannelPresence> results = Fetch(*client, {"a"});
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].error.status_code, 503);
}

TEST_F(RestClientTest, AtMostThreeRetriesOnDistinctHosts) {
  AblyConfig config = Config();
  config.fallback_hosts = {"f1", "f2", "f3", "f4", "f5"};
  http_.SetResponder([](const HttpRequest&) { return Respond(503, ""); });
  Fetch(*Client(config), {"a"});
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 4u);
  std::set<std::string> hosts;
  for (const HttpRequest& request : requests)
    hosts.insert(request.url.substr(0, request.url.find("/presence")));
  EXPECT_EQ(hosts.size(), 4u);
  EXPECT_EQ(requests[0].url.rfind("https://main.realtime.ably.net/", 0), 0u);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_api_requests_total{status="503"})"), 4);
}

TEST_F(RestClientTest, PrefersAWorkingFallbackForTenMinutes) {
  AblyConfig config = Config();
  config.fallback_hosts = {"f1"};
  bool primary_down = true;
  http_.SetResponder([&](const HttpRequest& request) -> HttpResult {
    if (primary_down && request.url.find("main.realtime") != std::string::npos) {
      return TransportError{TransportFailure::kConnect, "refused"};
    }
    return V3Ok(request);
  });
  auto client = Client(config);
  Fetch(*client, {"a"});  // primary, then f1
  primary_down = false;
  Fetch(*client, {"a"});  // f1 first
  clock_.Advance(11min);
  Fetch(*client, {"a"});  // preference expired: primary
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[1].url.rfind("https://f1/", 0), 0u);
  EXPECT_EQ(requests[2].url.rfind("https://f1/", 0), 0u);
  EXPECT_EQ(requests[3].url.rfind("https://main.realtime.ably.net/", 0), 0u);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_api_requests_total{status="error"})"), 1);
}

TEST_F(RestClientTest, FailedRequestMarksOnlyItsChannels) {
  http_.SetResponder([](const HttpRequest& request) -> HttpResult {
    if (RequestedChannels(request).front() == "ch100") {
      return Respond(500, R"({"error":{"code":50000,"statusCode":500,"message":"internal"}})");
    }
    if (RequestedChannels(request).front() == "ch200") {
      return TransportError{TransportFailure::kTimeout, "timeout after 10s"};
    }
    return V3Ok(request);
  });
  auto client = Client(Config());
  std::vector<ChannelPresence> results = Fetch(*client, Names(250));
  ASSERT_EQ(results.size(), 250u);
  for (int i = 0; i < 250; ++i) {
    EXPECT_EQ(results[i].channel, "ch" + std::to_string(i));
    if (i < 100) {
      EXPECT_TRUE(results[i].ok) << i;
    } else if (i < 200) {
      EXPECT_FALSE(results[i].ok) << i;
      EXPECT_EQ(results[i].error.code, 50000);
      EXPECT_EQ(results[i].error.message, "internal");
    } else {
      EXPECT_FALSE(results[i].ok) << i;
      EXPECT_EQ(results[i].error.code, 0);
      // The transport's own words (host and reason) follow.
      EXPECT_EQ(results[i].error.message, "request failed: timeout after 10s");
    }
    EXPECT_TRUE(results[i].ok || results[i].members.empty());
  }
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="50000"})"), 100);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="0"})"), 50);
  EXPECT_EQ(MetricValue(metrics_, "presenced_ably_billable_messages_total"), 100);
}

TEST_F(RestClientTest, ResultsFollowInputOrder) {
  http_.SetResponder([](const HttpRequest&) {
    return Respond(200, R"({"results":[{"channel":"c","presence":[]},)"
                        R"({"channel":"x","error":{"code":40160,"statusCode":401,"message":"no"}},)"
                        R"({"channel":"unasked","presence":[]},)"
                        R"({"channel":"a","presence":[{"clientId":"u","connectionId":"k"}]}]})");
  });
  std::vector<ChannelPresence> results = Fetch(*Client(Config()), {"a", "b", "c", "x", "a"});
  ASSERT_EQ(results.size(), 5u);
  const std::vector<std::string> want_names = {"a", "b", "c", "x", "a"};
  const std::vector<bool> want_ok = {true, false, true, false, true};
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].channel, want_names[i]);
    EXPECT_EQ(results[i].ok, want_ok[i]) << i;
  }
  EXPECT_EQ(results[0].members.size(), 1u);
  EXPECT_EQ(results[4].members.size(), 1u);
  EXPECT_EQ(results[1].error.message, "channel missing from the batch response");
  EXPECT_EQ(results[3].error.code, 40160);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_channel_fetch_errors_total{code="40160"})"), 1);
}

TEST_F(RestClientTest, LegacyPartialFailureShape) {
  http_.SetResponder([](const HttpRequest&) {
    return Respond(400, R"({"error":{"code":40020,"statusCode":400,"message":"Batched"},)"
                        R"("batchResponse":[{"channel":"a","presence":[]},)"
                        R"({"channel":"b","error":{"code":40160,"statusCode":401}}]})");
  });
  std::vector<ChannelPresence> results = Fetch(*Client(Config()), {"a", "b"});
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].error.code, 40160);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(RestClientTest, RespectsMaxInFlight) {
  AblyConfig config = CountConfig();
  config.max_in_flight = 3;
  http_.HoldUntil(3, 10);
  std::vector<ChannelPresence> results = Fetch(*Client(config), Names(1000));
  EXPECT_EQ(http_.requests().size(), 10u);
  EXPECT_EQ(http_.max_in_flight(), 3);
  for (const ChannelPresence& result : results) EXPECT_TRUE(result.ok);
}

TEST_F(RestClientTest, CancelStopsStartingRequests) {
  AblyConfig config = Config();
  config.max_in_flight = 1;
  http_.SetResponder([&](const HttpRequest& request) {
    cancel_ = true;
    return V3Ok(request);
  });
  std::vector<ChannelPresence> results = Fetch(*Client(config), Names(300));
  EXPECT_EQ(http_.requests().size(), 1u);
  ASSERT_EQ(results.size(), 300u);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[100].ok);
  EXPECT_EQ(results[299].channel, "ch299");
}

TEST_F(RestClientTest, PacesRequestsPerSecond) {
  AblyConfig config = Config();
  config.max_in_flight = 5;
  config.max_requests_per_second = 50;  // one start every 20 ms
  const SystemClock real_time;          // the pacing is measured in real time below
  Fetch(*MakeAblyRestClient(config, http_, metrics_, real_time, random_), Names(500));
  std::vector<std::chrono::steady_clock::time_point> times = http_.send_times();
  ASSERT_EQ(times.size(), 5u);
  std::sort(times.begin(), times.end());
  EXPECT_GE(times.back() - times.front(), 75ms);
}

TEST_F(RestClientTest, ListChannelsFollowsLinks) {
  AblyConfig config = Config();
  config.endpoint = "http://127.0.0.1:8080/base";
  http_.SetResponder([](const HttpRequest& request) {
    const std::string target = Target(request);
    if (target == "/base/channels?prefix=room%3A&by=id&limit=1000") {
      return Respond(200, R"(["room:a","room:b"])",
                     {{"Link", R"(<./channels?prefix=room%3A&cursor=2>; rel="first", )"
                               R"(<./channels?prefix=room%3A&cursor=2>; rel="next")"}});
    }
    if (target == "/base/channels?prefix=room%3A&cursor=2") {
      return Respond(200, "[]", {{"link", R"(</other/channels?cursor=3>; rel="next")"}});
    }
    if (target == "/other/channels?cursor=3") return Respond(200, R"(["room:c"])");
    return Respond(404, R"({"error":{"code":40400,"statusCode":404,"message":"nope"}})");
  });
  Result<std::vector<std::string>> names = Client(config)->ListChannels("room:");
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"room:a", "room:b", "room:c"}));
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:8080/base/channels?prefix=room%3A&by=id&limit=1000");
}

TEST_F(RestClientTest, ListChannelsReportsErrors) {
  http_.SetResponder([](const HttpRequest&) {
    return Respond(401, R"({"error":{"code":40101,"statusCode":401,"message":"bad key"}})");
  });
  Result<std::vector<std::string>> names = Client(Config())->ListChannels("x");
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("40101"), std::string::npos) << names.error().message;
  EXPECT_EQ(names.error().message.find("secret"), std::string::npos);

  http_.SetResponder([](const HttpRequest&) { return Respond(200, R"({"not":"a list"})"); });
  EXPECT_FALSE(Client(Config())->ListChannels("x").ok());
}

// A 42912 (another enumeration of the app is running) is retried after a jittered wait: the
// jitter is drawn from the injected Random and the wait is on the Clock.
TEST_F(RestClientTest, ListChannelsWaitsAJitteredDelayOnTheClockWhenEnumerationIsBusy) {
  int answered = 0;
  http_.SetResponder([&](const HttpRequest&) {
    if (answered++ == 0) {
      return Respond(429, R"({"error":{"code":42912,"statusCode":429,"message":"busy"}})");
    }
    return Respond(200, R"(["room:a"])");
  });
  testing::ScriptedRandom random({0.5});  // the middle of [250 ms, 750 ms) for the first retry
  auto client = MakeAblyRestClient(Config(), http_, metrics_, clock_, random);
  Result<std::vector<std::string>> names = Error{"not listed"};
  std::thread list([&] { names = client->ListChannels("room:"); });
  EXPECT_TRUE(testing::WaitFor([&] { return clock_.EarliestWait() == 500ms; }));
  EXPECT_EQ(http_.requests().size(), 1u) << "the retry waits for the clock";
  clock_.Advance(500ms);
  list.join();
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, std::vector<std::string>{"room:a"});
  EXPECT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(random.draws(), 1u);
}

// A stop cancels an enumeration: it waits no longer for a busy retry and sends no more requests,
// so a stop never runs into the last resort behind a slow enumeration.
TEST_F(RestClientTest, ListChannelsEndsWhenCancelled) {
  http_.SetResponder([](const HttpRequest&) {
    return Respond(429, R"({"error":{"code":42912,"statusCode":429,"message":"busy"}})");
  });
  auto client = Client(Config());
  std::atomic<bool> cancel{false};
  Result<std::vector<std::string>> names = Error{"not listed"};
  std::atomic<bool> done{false};
  std::thread list([&] {
    names = client->ListChannels("room:", cancel);
    done = true;
  });
  ASSERT_TRUE(testing::WaitFor([&] { return clock_.EarliestWait().has_value(); }));
  cancel = true;  // no clock Advance: the wait must end on the cancel alone
  EXPECT_TRUE(testing::WaitFor([&] { return done.load(); }, 5s));
  while (!done) clock_.Advance(1h);  // (only after a failure) lets the retries run out
  list.join();
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("cancelled"), std::string::npos) << names.error().message;
  EXPECT_EQ(http_.requests().size(), 1u);

  Result<std::vector<std::string>> none = client->ListChannels("room:", cancel);
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(http_.requests().size(), 1u) << "nothing is sent once cancelled";
}

TEST_F(RestClientTest, ListChannelsStopsAtThePageCap) {
  http_.SetResponder([](const HttpRequest&) {
    return Respond(200, "[]", {{"Link", R"(<./channels?again>; rel="next")"}});
  });
  Result<std::vector<std::string>> names = Client(Config())->ListChannels("");
  ASSERT_FALSE(names.ok());
  EXPECT_EQ(http_.requests().size(), 1000u);
}

// A channel too big for a batch is read page by page; its next links are followed only on its
// own presence resource (PageWalk): a link out of it fails the channel instead of reading an
// unrelated answer as its last page.
TEST_F(RestClientTest, PagedPresenceFollowsOnlyLinksOnTheChannelsResource) {
  for (const std::string link : {"./presence?limit=1000&cursor=2", "../other/presence?cursor=2"}) {
    SCOPED_TRACE(link);
    http_.SetResponder([link](const HttpRequest& request) -> HttpResult {
      const std::string target = request.url.substr(request.url.find(".net") + 4);
      if (target.starts_with("/presence?")) {
        return TransportError{TransportFailure::kTooLarge, "over the cap"};
      }
      if (target == "/channels/big/presence?limit=1000") {
        return Respond(200, R"([{"id":"a:1:0","action":1,"clientId":"a","connectionId":"a"}])",
                       {{"Link", "<" + link + R"(>; rel="next")"}});
      }
      return Respond(200, R"([{"id":"b:1:0","action":1,"clientId":"b","connectionId":"b"}])");
    });
    const std::vector<ChannelPresence> results = Fetch(*Client(Config()), {"big"});
    ASSERT_EQ(results.size(), 1u);
    if (link.starts_with("./")) {
      ASSERT_TRUE(results[0].ok) << results[0].error.message;
      EXPECT_EQ(results[0].members.size(), 2u);
    } else {
      EXPECT_FALSE(results[0].ok);
      EXPECT_TRUE(results[0].members.empty());
      EXPECT_NE(results[0].error.message.find("leaves the resource read"), std::string::npos)
          << results[0].error.message;
    }
  }
}

// A fetch thread offers the storage of its last batch answer for its next one (HttpRequest::
// body_buffer), and gives a body over 8 MiB back instead of keeping it.
TEST_F(RestClientTest, ReusesAThreadsLastAnswerStorageButNotABigOnes) {
  AblyConfig config = CountConfig();
  config.max_channels_per_request = 1;
  config.max_in_flight = 1;  // one thread: every request after the first offers a kept buffer
  std::vector<size_t> offered;
  http_.SetResponder([&](const HttpRequest& request) {
    offered.push_back(request.body_buffer != nullptr ? request.body_buffer->capacity() : 0);
    HttpResult answer = V3Ok(request);
    const bool big = RequestedChannels(request).at(0) == "big";
    answer.response().body.reserve(big ? size_t{9} << 20 : size_t{1} << 20);
    return answer;
  });
  auto client = Client(config);
  const std::vector<ChannelPresence> got = Fetch(*client, {"a", "b", "big", "c"});
  for (const ChannelPresence& channel : got) EXPECT_TRUE(channel.ok) << channel.channel;
  ASSERT_EQ(offered.size(), 4u);
  EXPECT_GE(offered[1], size_t{1} << 20) << "a's storage is offered for b";
  EXPECT_GE(offered[2], size_t{1} << 20);
  EXPECT_GE(offered[3], size_t{1} << 20);
  EXPECT_LT(offered[3], size_t{8} << 20) << "big's storage was given back";
}

}  // namespace
}  // namespace presenced
