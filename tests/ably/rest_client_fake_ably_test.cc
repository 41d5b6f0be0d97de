// The real stack (PocoHttpClient + Ably REST client) against the in-process fake Ably server:
// wire format, authentication, injected failures and enumeration paging end to end.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "ably/rest_client.h"
#include "common/clock.h"
#include "fake_ably/fake_ably_server.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {
namespace {

using testing::FakeAblyServer;

class RestClientFakeAblyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    config_.endpoint = fake_.BaseUrl();
    config_.credential = Secret("app.key:secret");
    config_.request_timeout = std::chrono::seconds(5);
    config_.max_channels_per_request = 3;
    http_ = MakePocoHttpClient({});
    client_ = MakeAblyRestClient(config_, *http_, metrics_, clock_, random_);
  }

  static testing::FakeAblyOptions Options() {
    testing::FakeAblyOptions options;
    options.key = "app.key:secret";
    options.capability = R"({"*":["subscribe","history","channel-metadata"]})";
    return options;
  }

  FakeAblyServer fake_{Options()};
  AblyConfig config_;
  Metrics metrics_{true};
  SystemClock clock_;
  SeededRandom random_{1};
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<PresenceSource> client_;
  std::atomic<bool> cancel_{false};
};

TEST_F(RestClientFakeAblyTest, FetchesMembersAcrossBatches) {
  fake_.Enter("chat:lobby", "bob", "conn1", R"({"x":"é \"q\""})", "json");
  fake_.Enter("odd,name", "ann", "conn2", R"("hi")");
  fake_.Enter("c5", "cy", "conn3", "");
  const std::vector<std::string> channels = {"chat:lobby", "odd,name", "c3", "c4", "c5"};
  std::vector<ChannelPresence> results = client_->FetchPresence(channels, cancel_);
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < channels.size(); ++i) {
    EXPECT_EQ(results[i].channel, channels[i]);
    ASSERT_TRUE(results[i].ok) << channels[i] << ": " << results[i].error.message;
  }
  ASSERT_EQ(results[0].members.size(), 1u);
  EXPECT_EQ(results[0].members[0].client_id, "bob");
  EXPECT_EQ(results[0].members[0].data, R"({"x":"é \"q\""})");
  EXPECT_EQ(results[0].members[0].encoding, "json");
  ASSERT_EQ(results[1].members.size(), 1u);
  EXPECT_EQ(results[1].members[0].data, R"("hi")");
  EXPECT_TRUE(results[2].members.empty());
  EXPECT_EQ(results[4].members.size(), 1u);

  std::vector<testing::RecordedRequest> requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.path, "/presence");
    EXPECT_EQ(request.ably_version, "3");
    EXPECT_EQ(request.auth_scheme, "Basic");
  }
}

TEST_F(RestClientFakeAblyTest, InjectedFailuresFailOnlyTheirChannels) {
  fake_.Enter("a", "u", "c1", R"("1")");
  fake_.SetChannelError("b", 40160, 401, "denied");
  std::vector<ChannelPresence> results = client_->FetchPresence({"a", "b"}, cancel_);
  EXPECT_TRUE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(results[1].error.code, 40160);

  fake_.TruncateNextResponses(1);
  results = client_->FetchPresence({"a"}, cancel_);
  EXPECT_FALSE(results[0].ok);
  // The host and the reason, in words.
  EXPECT_EQ(
      results[0].error.message.rfind(
          "request failed: 127.0.0.1:" + std::to_string(fake_.port()) + ": truncated answer", 0),
      0u)
      << results[0].error.message;

  fake_.GarbageNextResponses(1);
  results = client_->FetchPresence({"a"}, cancel_);
  EXPECT_FALSE(results[0].ok);

  fake_.FailNextRequests(1, 401, 40101);
  results = client_->FetchPresence({"a"}, cancel_);
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].error.code, 40101);

  results = client_->FetchPresence({"a"}, cancel_);
  EXPECT_TRUE(results[0].ok);
}

TEST_F(RestClientFakeAblyTest, WrongKeyIsAnError) {
  AblyConfig wrong = config_;
  wrong.credential = Secret("app.key:wrong");
  auto client = MakeAblyRestClient(wrong, *http_, metrics_, clock_, random_);
  std::vector<ChannelPresence> results = client->FetchPresence({"a"}, cancel_);
  EXPECT_FALSE(results[0].ok);
  EXPECT_EQ(results[0].error.status_code, 401);
}

TEST_F(RestClientFakeAblyTest, ListsChannelsThroughEmptyPages) {
  for (int i = 0; i < 5; ++i) fake_.Enter("room:" + std::to_string(i), "u", "c", "");
  fake_.Enter("other", "u", "c", "");
  fake_.InsertEmptyPages(2);
  Result<std::vector<std::string>> names = client_->ListChannels("room:");
  ASSERT_TRUE(names.ok()) << names.error().message;
  std::vector<std::string> sorted = *names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"room:0", "room:1", "room:2", "room:3", "room:4"}));
}

}  // namespace
}  // namespace presenced
