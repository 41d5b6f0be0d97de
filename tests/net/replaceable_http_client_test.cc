// ReplaceableHttpClient (net/replaceable_http_client.h): requests go through the client of the
// last Replace, and Abort() (a stop) reaches the current client, a replaced one that still has a
// request in flight, and every client a later Replace brings.

#include "net/replaceable_http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "test_support.h"

namespace presenced {
namespace {

using testing::WaitFor;
using namespace std::chrono_literals;

// Answers with its name; with `hold`, a Send waits until Abort() (an answer that never comes).
class Recorder final : public HttpClient {
 public:
  Recorder(std::string name, std::atomic<int>* aborts, bool hold = false)
      : name_(std::move(name)), aborts_(aborts), hold_(hold) {}
  HttpResult Send(const HttpRequest&) override {
    in_flight = true;
    if (hold_ && !WaitFor([this] { return aborted.load(); }, 20s)) {
      return TransportError{TransportFailure::kTimeout, name_ + ": never aborted"};
    }
    if (aborted) return TransportError{TransportFailure::kAborted, name_ + ": aborted"};
    HttpResponse response;
    response.status = 200;
    response.body = name_;
    return response;
  }
  void Abort() override {
    aborted = true;
    ++*aborts_;
  }
  std::atomic<bool> in_flight{false};
  std::atomic<bool> aborted{false};

 private:
  const std::string name_;
  std::atomic<int>* aborts_;
  const bool hold_;
};

std::string BodyOf(HttpClient& client) {
  HttpResult result = client.Send(HttpRequest{});
  return result.ok() ? result.response().body : "error: " + result.error().message;
}

TEST(ReplaceableHttpClientTest, SendsThroughTheLastReplacement) {
  std::atomic<int> aborts{0};
  ReplaceableHttpClient client(std::make_unique<Recorder>("first", &aborts));
  EXPECT_EQ(BodyOf(client), "first");
  client.Replace(std::make_unique<Recorder>("second", &aborts));
  EXPECT_EQ(BodyOf(client), "second");
  EXPECT_EQ(aborts, 0);
}

TEST(ReplaceableHttpClientTest, AbortReachesAReplacedClientWithARequestInFlight) {
  std::atomic<int> aborts{0};
  auto first = std::make_unique<Recorder>("first", &aborts, /*hold=*/true);
  Recorder& old = *first;
  ReplaceableHttpClient client(std::move(first));
  auto sent = std::async(std::launch::async, [&] { return client.Send(HttpRequest{}); });
  ASSERT_TRUE(WaitFor([&] { return old.in_flight.load(); }));
  // A reload replaces the client while the request is still on the old one.
  client.Replace(std::make_unique<Recorder>("second", &aborts));
  client.Abort();
  ASSERT_EQ(sent.wait_for(2s), std::future_status::ready) << "the old client was not aborted";
  HttpResult result = sent.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kAborted) << result.error().message;
  EXPECT_EQ(aborts, 2) << "the current client and the replaced one";
  EXPECT_EQ(BodyOf(client), "error: second: aborted");
}

TEST(ReplaceableHttpClientTest, AClientReplacedAfterAnAbortIsAbortedToo) {
  std::atomic<int> aborts{0};
  ReplaceableHttpClient client(std::make_unique<Recorder>("first", &aborts));
  client.Abort();
  EXPECT_EQ(aborts, 1);
  client.Replace(std::make_unique<Recorder>("second", &aborts));
  EXPECT_EQ(aborts, 2);
  EXPECT_EQ(BodyOf(client), "error: second: aborted");
  // A replaced client nobody holds any more is gone: a second Abort reaches the current one only.
  client.Abort();
  EXPECT_EQ(aborts, 3);
}

}  // namespace
}  // namespace presenced
