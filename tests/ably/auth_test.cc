// AblyAuth (ably/auth.h): single-flight renewal, backoff (5 s doubling to 60 s) on failures,
// expired tokens and 401s for fresh tokens, no request with a token known to be bad, a reload
// that renews, and waiters that give up on cancel. On a fake clock, against a scripted auth_url.

#include "ably/auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "ably/rest_request.h"
#include "fake_http_client.h"
#include "fakes/fake_clock.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MetricValue;

constexpr char kAuthUrl[] = "https://auth.example.com/token";

AblyConfig AuthUrlConfig() {
  AblyConfig config;
  config.endpoint = "https://main.realtime.ably.net";
  config.auth = AblyConfig::Auth::kAuthUrl;
  config.auth_url = kAuthUrl;
  return config;
}

HttpResult Answer(int status, std::string body, std::string type = "application/json") {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers = {{"Content-Type", std::move(type)}};
  return response;
}

// A token `name` as TokenDetails expiring at `expires_ms`.
HttpResult Details(const std::string& name, int64_t expires_ms) {
  return Answer(200, R"({"token":")" + name + R"(","expires":)" + std::to_string(expires_ms) + "}");
}

std::string Bearer(const std::string& token) { return "Bearer " + Base64Encode(token); }

const AblyError kExpired{40142, 401, "Token expired"};

class AuthTest : public ::testing::Test {
 protected:
  // The header Authorization() hands out, or "error".
  std::string Header(AblyAuth& auth) {
    Result<std::string> header = auth.Authorization(cancel_);
    return header.ok() ? *header : "error";
  }
  int Hits() const { return static_cast<int>(http_.requests().size()); }

  FakeClock clock_;
  Metrics metrics_{false};
  FakeHttpClient http_;
  std::atomic<bool> cancel_{false};
};

TEST_F(AuthTest, ConcurrentRequestsShareOneFetch) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  http_.SetResponder([&](const HttpRequest&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return Details("t1", clock_.NowMs() + 3'600'000);
  });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  std::vector<std::thread> requests;
  std::vector<std::string> got(8);
  for (size_t i = 0; i < got.size(); ++i) {
    requests.emplace_back([&, i] { got[i] = Header(auth); });
  }
  ASSERT_TRUE(testing::WaitFor([&] { return Hits() == 1; }));
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& t : requests) t.join();
  EXPECT_EQ(Hits(), 1);  // one fetch, every request waited for it
  for (const std::string& header : got) EXPECT_EQ(header, Bearer("t1"));
}

TEST_F(AuthTest, FailuresBackOffFiveSecondsDoublingToSixtyOneFetchPerStep) {
  http_.SetResponder([](const HttpRequest&) { return Answer(500, "down", "text/plain"); });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  EXPECT_EQ(Hits(), 1);
  ASSERT_TRUE(auth.Problem());
  EXPECT_NE(auth.Problem()->find("HTTP 500"), std::string::npos);
  int expected = 1;
  for (int step : {5, 10, 20, 40, 60, 60}) {
    clock_.Advance(seconds(step) - milliseconds(1));
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(auth.Authorization(cancel_).ok());
    EXPECT_EQ(Hits(), expected) << "before the " << step << " s step ended";
    clock_.Advance(milliseconds(1));
    EXPECT_FALSE(auth.Authorization(cancel_).ok());
    EXPECT_EQ(Hits(), ++expected) << "once the " << step << " s step ended";
  }
}

TEST_F(AuthTest, ATokenThatArrivesExpiredIsNeverHandedOutAndBacksOff) {
  http_.SetResponder([&](const HttpRequest&) { return Details("old", clock_.NowMs() - 60'000); });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  Result<std::string> header = auth.Authorization(cancel_);
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.error().message.find("expired"), std::string::npos);
  clock_.Advance(seconds(4));
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  EXPECT_EQ(Hits(), 1);
  clock_.Advance(seconds(1));
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  EXPECT_EQ(Hits(), 2);
}

TEST_F(AuthTest, NoRequestWithATokenPastItsExpiry) {
  int64_t expires = clock_.NowMs() + 100'000;
  bool up = true;
  http_.SetResponder([&](const HttpRequest&) {
    return up ? Details("t" + std::to_string(Hits()), expires) : Answer(503, "", "text/plain");
  });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  ASSERT_EQ(Header(auth), Bearer("t1"));
  auth.Accepted(Bearer("t1"));
  up = false;
  // Renewed early (a tenth of its life): the failure keeps the current token while it lasts.
  clock_.Advance(seconds(95));
  EXPECT_EQ(Header(auth), Bearer("t1"));
  EXPECT_EQ(Hits(), 2);
  clock_.Advance(seconds(5));                      // now past `expires`, the auth server still down
  EXPECT_FALSE(auth.Authorization(cancel_).ok());  // tried again (5 s later), failed: not sent
  EXPECT_EQ(Hits(), 3);
  EXPECT_TRUE(auth.Problem());
  up = true;
  expires = clock_.NowMs() + 100'000;
  clock_.Advance(seconds(10));
  EXPECT_EQ(Header(auth), Bearer("t4"));
  EXPECT_FALSE(auth.Problem());
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_ably_token_renewals_total{result="ok"})"), 1);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_ably_token_renewals_total{result="error"})"), 2);
}

TEST_F(AuthTest, AnyRefusalRenewsAtOnceForATokenThatWorkedAndBacksOffForAFreshOne) {
  http_.SetResponder(
      [&](const HttpRequest&) { return Answer(200, "t" + std::to_string(Hits()), "text/plain"); });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  ASSERT_EQ(Header(auth), Bearer("t1"));
  auth.Accepted(Bearer("t1"));
  // A token that worked, refused (revoked, or another 401 code): renewed at once (RSA4b).
  EXPECT_TRUE(auth.OnRejected(Bearer("t1"), {40101, 401, "Invalid credentials"}));
  EXPECT_EQ(Header(auth), Bearer("t2"));
  // A request still in flight with the old token is refused too: it retries with the new one.
  EXPECT_TRUE(auth.OnRejected(Bearer("t1"), kExpired));
  EXPECT_EQ(Hits(), 2);
  // The fresh token refused before Ably ever accepted it: no new fetch for 5 s.
  EXPECT_FALSE(auth.OnRejected(Bearer("t2"), {40101, 401, "Invalid credentials"}));
  EXPECT_FALSE(auth.Authorization(cancel_).ok());  // never sent again
  ASSERT_TRUE(auth.Problem());
  EXPECT_NE(auth.Problem()->find("40101"), std::string::npos);
  clock_.Advance(seconds(5));
  EXPECT_EQ(Header(auth), Bearer("t3"));
  EXPECT_FALSE(auth.OnRejected(Bearer("t3"), kExpired));  // again: 10 s now
  clock_.Advance(seconds(5));
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  EXPECT_EQ(Hits(), 3);
  clock_.Advance(seconds(5));
  EXPECT_EQ(Header(auth), Bearer("t4"));
  auth.Accepted(Bearer("t4"));
  EXPECT_FALSE(auth.Problem());
}

TEST_F(AuthTest, AReloadRenewsWhateverTheBackoff) {
  bool up = false;
  http_.SetResponder([&](const HttpRequest&) {
    return up ? Answer(200, "good", "text/plain") : Answer(500, "", "text/plain");
  });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  up = true;  // fixed; the next attempt would be 5 s away
  auth.RenewNow();
  EXPECT_EQ(Header(auth), Bearer("good"));
  EXPECT_EQ(Hits(), 2);
}

TEST_F(AuthTest, AWaiterGivesUpOnCancelWhileTheFetchHangs) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  http_.SetResponder([&](const HttpRequest&) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    return Answer(200, "late", "text/plain");
  });
  AblyAuth auth(AuthUrlConfig(), http_, metrics_, clock_);
  std::atomic<bool> never{false};
  std::thread fetcher([&] { (void)auth.Authorization(never); });
  ASSERT_TRUE(testing::WaitFor([&] { return Hits() == 1; }));
  std::atomic<bool> done{false};
  Result<std::string> waited = Error{""};
  std::thread waiter([&] {
    waited = auth.Authorization(cancel_);
    done = true;
  });
  cancel_ = true;  // a stop
  ASSERT_TRUE(testing::WaitFor([&] { return done.load(); }, seconds(5)));
  EXPECT_FALSE(waited.ok());
  waiter.join();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  fetcher.join();
  EXPECT_EQ(Hits(), 1);
}

TEST_F(AuthTest, ATokenFileTokenAblyRefusedIsNotSentUntilTheFileChanges) {
  testing::TempDir dir;
  const std::string path = dir.WriteFile("token", "first\n");
  AblyConfig config = AuthUrlConfig();
  config.auth = AblyConfig::Auth::kTokenFile;
  config.token_file = path;
  config.credential = Secret("first");
  AblyAuth auth(config, http_, metrics_, clock_);
  ASSERT_EQ(Header(auth), Bearer("first"));
  EXPECT_FALSE(auth.OnRejected(Bearer("first"), kExpired));
  EXPECT_FALSE(auth.Authorization(cancel_).ok());
  ASSERT_TRUE(auth.Problem());
  EXPECT_NE(auth.Problem()->find("40142"), std::string::npos);
  {
    std::ofstream out(path + ".tmp");
    out << "second\n";
  }
  std::rename((path + ".tmp").c_str(), path.c_str());
  EXPECT_EQ(Header(auth), Bearer("second"));
  EXPECT_EQ(Hits(), 0);
}

TEST_F(AuthTest, AKeyAblyRejectsIsAProblemUntilItIsAccepted) {
  AblyConfig config = AuthUrlConfig();
  config.auth = AblyConfig::Auth::kBasic;
  config.credential = Secret("app.key:secret");
  AblyAuth auth(config, http_, metrics_, clock_);
  const std::string header = Header(auth);
  EXPECT_FALSE(auth.OnRejected(header, {40101, 401, "Invalid credentials"}));
  ASSERT_TRUE(auth.Problem());
  EXPECT_NE(auth.Problem()->find("Ably rejects the credentials"), std::string::npos);
  EXPECT_EQ(auth.Problem()->find("secret"), std::string::npos);
  auth.Accepted(header);
  EXPECT_FALSE(auth.Problem());
}

}  // namespace
}  // namespace presenced
