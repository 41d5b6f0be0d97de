// Injected failures: whole-request errors, garbage and truncated bodies, delays cut short by
// Stop(), and member message ids.

#include <Poco/Exception.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "fake_ably/fake_ably_server.h"
#include "fakes/test_support.h"
#include "http_test_client.h"

namespace presenced::testing {
namespace {

const std::map<std::string, std::string> kV3 = {{"X-Ably-Version", "3"}};

TEST(FailureInjectionTest, FailsTheNextRequestsWithABody) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  fake.FailNextRequests(2, 503, 50003, false, "Timed out");
  for (int i = 0; i < 2; ++i) {
    const HttpReply reply = Get(port, "/presence?channels=a", kV3);
    ASSERT_EQ(reply.status, 503);
    const auto error = ParseObject(reply.body)->getObject("error");
    EXPECT_EQ(error->getValue<int>("code"), 50003);
    EXPECT_EQ(error->getValue<int>("statusCode"), 503);
    EXPECT_EQ(error->getValue<std::string>("message"), "Timed out");
    EXPECT_TRUE(error->has("href"));
  }
  EXPECT_EQ(Get(port, "/presence?channels=a", kV3).status, 200);
}

TEST(FailureInjectionTest, FailsWithHeadersOnly) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  fake.FailNextRequests(1, 429, 42922, true, "Rate limit exceeded");
  const HttpReply reply = Get(port, "/channels?prefix=x", kV3);
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.body, "");
  EXPECT_EQ(reply.Header("X-Ably-ErrorCode"), "42922");
  EXPECT_EQ(reply.Header("X-Ably-ErrorMessage"), "Rate limit exceeded");
}

TEST(FailureInjectionTest, GarbageBodyIsNotJson) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  fake.GarbageNextResponses(1);
  const HttpReply reply = Get(port, "/presence?channels=a", kV3);
  EXPECT_EQ(reply.status, 200);
  EXPECT_THROW(ParseObject(reply.body), Poco::Exception);
  EXPECT_NO_THROW(ParseObject(Get(port, "/presence?channels=a", kV3).body));
}

TEST(FailureInjectionTest, TruncatedBodyIsShorterThanAnnounced) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  for (int i = 0; i < 20; ++i) fake.Enter("a", "user" + std::to_string(i), "conn", R"("x")");
  fake.TruncateNextResponses(1);
  const HttpReply cut = Get(port, "/presence?channels=a", kV3);
  EXPECT_EQ(cut.status, 200);
  ASSERT_GT(cut.content_length, 100);
  EXPECT_LT(static_cast<int64_t>(cut.body.size()), cut.content_length);
  const HttpReply whole = Get(port, "/presence?channels=a", kV3);
  EXPECT_EQ(static_cast<int64_t>(whole.body.size()), whole.content_length);
  EXPECT_EQ(whole.content_length, cut.content_length);
}

TEST(FailureInjectionTest, StopCutsAPendingDelayShort) {
  auto fake = std::make_unique<FakeAblyServer>();
  const uint16_t port = fake->Start();
  fake->SetDelay(std::chrono::seconds(60));
  std::atomic<bool> done = false;
  std::thread client([&] {
    try {
      Get(port, "/presence?channels=a", kV3);
    } catch (const Poco::Exception&) {
      // The connection is closed by Stop(); any outcome but hanging is fine.
    }
    done = true;
  });
  ASSERT_TRUE(WaitFor([&] { return fake->RequestCount() == 1; }));
  fake->Stop();  // returns although a request is in flight (a hang would time the test out)
  EXPECT_TRUE(WaitFor([&] { return done.load(); }, std::chrono::seconds(5)));
  client.join();
}

TEST(FailureInjectionTest, DelayHoldsTheAnswer) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  fake.SetDelay(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Get(port, "/presence?channels=a", kV3).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST(MemberIdTest, SerialsGrowPerConnection) {
  FakeAblyServer fake;
  EXPECT_EQ(fake.Enter("a", "alice", "c1", ""), "c1:0:0");
  EXPECT_EQ(fake.Enter("b", "alice", "c1", ""), "c1:1:0");
  EXPECT_EQ(fake.Enter("a", "bob", "c2", ""), "c2:0:0");
  EXPECT_EQ(fake.Update("a", "alice", "c1", R"("new")"), "c1:2:0");
  EXPECT_TRUE(fake.Leave("a", "alice", "c1"));  // consumes serial 3
  EXPECT_FALSE(fake.Leave("a", "alice", "c1"));
  EXPECT_EQ(fake.Enter("a", "alice", "c1", ""), "c1:4:0");
  EXPECT_EQ(fake.MemberCount("a"), 2u);
  EXPECT_EQ(fake.ActiveChannels(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace presenced::testing
