// The Ably client spreads a cycle's requests over the first half of poll.interval when there are
// more of them than max_in_flight (rest_client.cc, kSpreadShare), on the injected Clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ably/rest_client.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_http_client.h"
#include "fakes/fake_random.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeClock;
using testing::FakeHttpClient;
using namespace std::chrono_literals;

// One request per channel, two in flight, sized by count only.
AblyConfig OnePerRequest(int max_in_flight) {
  AblyConfig config;
  config.endpoint = "https://main.realtime.ably.net";
  config.credential = Secret("appId.keyId:secret");
  config.batch_response_bytes = 0;
  config.max_channels_per_request = 1;
  config.max_in_flight = max_in_flight;
  return config;
}

std::vector<std::string> Names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("ch" + std::to_string(i));
  return names;
}

class RestClientPaceTest : public ::testing::Test {
 protected:
  RestClientPaceTest() {
    http_.SetResponder([this](const HttpRequest& request) {
      {
        std::lock_guard lock(mu_);
        sent_at_.push_back(clock_.SteadyNow() - started_);
      }
      const size_t eq = request.url.find("channels=");
      const std::string name = request.url.substr(eq + 9, request.url.find('&', eq) - eq - 9);
      HttpResponse response;
      response.status = 200;
      response.body = R"({"successCount":1,"failureCount":0,"results":[{"channel":")" + name +
                      R"(","presence":[]}]})";
      return HttpResult(std::move(response));
    });
  }

  // Fetches `channels` on a thread of its own (the test thread moves the fake time).
  void Start(const AblyConfig& config, std::chrono::milliseconds interval, int channels) {
    client_ = MakeAblyRestClient(config, http_, metrics_, clock_, random_);
    client_->SetPollInterval(interval);
    started_ = clock_.SteadyNow();
    fetcher_ = std::thread([this, channels] {
      results_ = client_->FetchPresence(Names(channels), cancel_);
      done_ = true;
    });
  }
  // Moves the fake time to each waiting request's start in turn until the fetch ends.
  void RunToEnd() {
    while (!done_) {
      ASSERT_TRUE(testing::WaitFor([&] {
        const auto wait = clock_.EarliestWait();
        return done_ || (wait && *wait > 0ms);
      }));
      const auto wait = clock_.EarliestWait();
      if (!done_ && wait && *wait > 0ms) clock_.Advance(*wait);
    }
  }
  ~RestClientPaceTest() override {
    cancel_ = true;
    if (fetcher_.joinable()) fetcher_.join();
  }
  std::vector<std::chrono::steady_clock::duration> SentAt() {
    std::lock_guard lock(mu_);
    auto sent = sent_at_;
    std::sort(sent.begin(), sent.end());
    return sent;
  }

  FakeHttpClient http_;
  Metrics metrics_{true};
  FakeClock clock_;
  SeededRandom random_{1};
  std::atomic<bool> cancel_{false};
  std::atomic<bool> done_{false};
  std::unique_ptr<PresenceSource> client_;
  std::chrono::steady_clock::time_point started_;
  std::thread fetcher_;
  std::vector<ChannelPresence> results_;
  std::mutex mu_;
  std::vector<std::chrono::steady_clock::duration> sent_at_;
};

TEST_F(RestClientPaceTest, SpreadsRequestsOverTheFirstHalfOfTheInterval) {
  // 10 requests, 2 in flight, a 1 s interval: request k starts no earlier than k * 50 ms.
  Start(OnePerRequest(2), 1000ms, 10);
  RunToEnd();
  fetcher_.join();
  ASSERT_EQ(results_.size(), 10u);
  for (const ChannelPresence& result : results_) EXPECT_TRUE(result.ok) << result.error.message;
  const auto sent = SentAt();
  ASSERT_EQ(sent.size(), 10u);
  for (size_t k = 0; k < sent.size(); ++k) {
    EXPECT_GE(sent[k], k * 50ms) << "request " << k << " started early: a burst";
  }
  EXPECT_LE(sent.back(), 500ms) << "the spread is the first half of the interval";
}

TEST_F(RestClientPaceTest, CancelDuringTheSpreadReturnsAtOnce) {
  Start(OnePerRequest(2), 60'000ms, 10);
  // A request waits for its slot (3 s apart); the fake time does not move.
  ASSERT_TRUE(testing::WaitFor([&] {
    const auto wait = clock_.EarliestWait();
    return wait && *wait > 0ms;
  }));
  cancel_ = true;
  ASSERT_TRUE(testing::WaitFor([&] { return done_.load(); }, 2s));
  fetcher_.join();
  ASSERT_EQ(results_.size(), 10u);
  EXPECT_EQ(results_.back().error.message, "not fetched: cancelled");
  EXPECT_LT(SentAt().size(), 10u);
}

TEST_F(RestClientPaceTest, NoMoreRequestsThanMaxInFlightGoBackToBack) {
  // 3 requests, 4 in flight: nothing waits for the fake time, which never moves.
  Start(OnePerRequest(4), 1000ms, 3);
  ASSERT_TRUE(testing::WaitFor([&] { return done_.load(); }, 5s));
  fetcher_.join();
  for (const ChannelPresence& result : results_) EXPECT_TRUE(result.ok) << result.error.message;
  for (const auto at : SentAt()) EXPECT_EQ(at, 0ms);
}

}  // namespace
}  // namespace presenced
