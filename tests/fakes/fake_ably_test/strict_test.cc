// The fake is as strict as Ably (tests/fakes/fake_ably/README.md "Capabilities", "Ably's clock"):
// capabilities on keys and tokens, GET /time, Ably's clock with an offset and a history
// visibility delay, retention at request time, and an auth_url stand-in that fails, hangs or
// hands out bad tokens.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fake_ably/capability.h"
#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"
#include "test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::map<std::string, std::string> kKeyV3 = {
    {"X-Ably-Version", "3"}, {"Authorization", "Basic YXBwLmtleTpzZWNyZXQ="}};  // app.key:secret

FakeAblyOptions WithCapability(const std::string& capability) {
  FakeAblyOptions options;
  options.key = "app.key:secret";
  options.capability = capability;
  return options;
}

int ErrorCode(const HttpReply& reply) {
  return ParseObject(reply.body)->getObject("error")->getValue<int>("code");
}

TEST(CapabilityTest, ResourcesMatchWholeSegmentsAsAblysDocsSay) {
  struct Case {
    const char* pattern;
    const char* channel;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"*", "room", true},
      {"*", "room:a:b", true},
      {"*", "[meta]log", false},  // not metachannels
      {"[*]*", "[meta]log", true},
      {"room:*", "room:a", true},
      {"room:*", "room:a:b", true},
      {"room:*", "room", false},
      {"room:*", "rooms:a", false},
      {"foo:*:baz", "foo:bar:baz", true},
      {"foo:*:baz", "foo:bar:bam:baz", false},
      {"foo*", "foobar", false},  // no colon: the literal channel `foo*`
      {"foo*", "foo*", true},
      {"chat", "chat", true},
      {"chat", "chat:a", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ResourceMatches(c.pattern, c.channel), c.matches) << c.pattern << " " << c.channel;
  }
}

TEST(CapabilityTest, OperationsAndTheWildcardResource) {
  auto capability = Capability::Parse(R"({"room:*":["presence","channel-metadata"]})");
  ASSERT_TRUE(capability);
  EXPECT_FALSE(capability->Allows("room:a", "subscribe"));  // presence is not subscribe
  EXPECT_TRUE(capability->Allows("room:a", "channel-metadata"));
  EXPECT_FALSE(capability->AllowsOnWildcard("channel-metadata"));  // only on `*` itself
  capability = Capability::Parse(R"({"*":["*"]})");
  ASSERT_TRUE(capability);
  EXPECT_TRUE(capability->Allows("x", "history"));
  EXPECT_TRUE(capability->AllowsOnWildcard("channel-metadata"));
  EXPECT_FALSE(Capability::Parse("[1]"));
  // A token gets what it asked for and the key has.
  const auto key = Capability::Parse(R"({"*":["subscribe","history"]})");
  const auto asked = Capability::Parse(R"({"room:*":["*"],"x":["publish"]})");
  EXPECT_EQ(key->Intersect(*asked).Json(), R"({"room:*":["history","subscribe"]})");
}

TEST(StrictFakeTest, BatchPresenceNeedsSubscribeOnEachChannel) {
  // The old advice: `presence` and `channel-metadata`. Every channel fails on its own.
  FakeAblyServer fake(
      WithCapability(R"({"room:*":["presence","channel-metadata"],"ok":["subscribe"]})"));
  const uint16_t port = fake.Start();
  fake.Enter("room:a", "bob", "k1", R"("x")");
  fake.Enter("ok", "ann", "k2", R"("y")");
  const HttpReply reply = Get(port, "/presence?channels=room%3Aa%2Cok", kKeyV3);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = ParseObject(reply.body);
  EXPECT_EQ(body->getValue<int>("failureCount"), 1);
  const auto denied = body->getArray("results")->getObject(0);
  EXPECT_EQ(denied->getValue<std::string>("channel"), "room:a");
  EXPECT_EQ(denied->getObject("error")->getValue<int>("code"), 40160);
  EXPECT_EQ(denied->getObject("error")->getValue<int>("statusCode"), 401);
  EXPECT_EQ(body->getArray("results")->getObject(1)->getArray("presence")->size(), 1u);
  EXPECT_EQ(fake.Bill().snapshot, 1u);  // only what was returned is billed
  // Per-channel presence: the whole request.
  const HttpReply paged = Get(port, "/channels/room%3Aa/presence", kKeyV3);
  EXPECT_EQ(paged.status, 401);
  EXPECT_EQ(ErrorCode(paged), 40160);
}

TEST(StrictFakeTest, HistoryNeedsHistoryAndEnumerationChannelMetadataOnTheWildcard) {
  FakeAblyServer fake(WithCapability(R"({"room:*":["subscribe","channel-metadata"]})"));
  const uint16_t port = fake.Start();
  fake.Enter("room:a", "bob", "k1", R"("x")");
  HttpReply reply = Get(port, "/channels/room%3Aa/presence/history", kKeyV3);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(ErrorCode(reply), 40160);
  reply = Get(port, "/channels?prefix=room%3A&by=id", kKeyV3);
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(ErrorCode(reply), 40160);
  EXPECT_NE(reply.body.find("channel-metadata"), std::string::npos);

  FakeAblyServer advised(WithCapability(R"({"*":["subscribe","history","channel-metadata"]})"));
  const uint16_t advised_port = advised.Start();
  advised.Enter("room:a", "bob", "k1", R"("x")");
  EXPECT_EQ(Get(advised_port, "/channels/room%3Aa/presence/history", kKeyV3).status, 200);
  EXPECT_EQ(Get(advised_port, "/channels?prefix=room%3A&by=id", kKeyV3).status, 200);
}

TEST(StrictFakeTest, TokensCarryTheKeysCapabilityIntersectedWithTheRequestedOne) {
  FakeAblyServer fake(WithCapability(R"({"*":["subscribe","history","channel-metadata"]})"));
  const uint16_t port = fake.Start();
  fake.Enter("a", "bob", "k1", R"("x")");
  const HttpReply token = Get(port, R"(/auth?as=details&capability={"a":["history"]})");
  ASSERT_EQ(token.status, 200) << token.body;
  const auto details = ParseObject(token.body);
  EXPECT_EQ(details->getValue<std::string>("capability"), R"({"a":["history"]})");
  const std::string bearer = "Bearer " + [&] {
    // base64 of the token, via the fake's own request: the test client has no encoder.
    const std::string t = details->getValue<std::string>("token");
    static const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int value = 0, bits = -6;
    for (unsigned char c : t) {
      value = (value << 8) + c;
      bits += 8;
      while (bits >= 0) {
        out.push_back(kAlphabet[(value >> bits) & 0x3F]);
        bits -= 6;
      }
    }
    if (bits > -6) out.push_back(kAlphabet[((value << 8) >> (bits + 8)) & 0x3F]);
    while (out.size() % 4) out.push_back('=');
    return out;
  }();
  const HttpReply batch =
      Get(port, "/presence?channels=a", {{"X-Ably-Version", "3"}, {"Authorization", bearer}});
  ASSERT_EQ(batch.status, 200);
  EXPECT_EQ(ParseObject(batch.body)->getValue<int>("failureCount"), 1);  // history only
  EXPECT_EQ(Get(port, "/channels/a/presence/history", {{"Authorization", bearer}}).status, 200);
}

TEST(StrictFakeTest, TimeIsAblysClockWithItsOffsetAndNeedsNoCredentials) {
  FakeAblyServer fake(WithCapability(R"({"*":["subscribe"]})"));
  const uint16_t port = fake.Start();
  fake.SetClockOffset(seconds(5));
  const int64_t host =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const HttpReply reply = Get(port, "/time");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const int64_t ably = ParseArray(reply.body)->getElement<int64_t>(0);
  EXPECT_NEAR(static_cast<double>(ably - host), 5000, 500);
  EXPECT_EQ(fake.Bill().snapshot + fake.Bill().history, 0u);
  // Timestamps of presence messages are on Ably's clock too.
  fake.Enter("a", "bob", "k1", "");
  const HttpReply history = Get(port, "/channels/a/presence/history", kKeyV3);
  ASSERT_EQ(history.status, 401);  // no `history` in this key
}

TEST(StrictFakeTest, HistoryShowsAMessageOnlyAfterTheVisibilityDelayAndFiltersOnItsTimestamp) {
  FakeAblyServer fake(WithCapability(R"({"*":["history"]})"));
  const uint16_t port = fake.Start();
  fake.SetClockOffset(seconds(-5));
  fake.SetVisibilityDelay(milliseconds(600));
  const int64_t before = fake.AblyNowMs();
  fake.Enter("a", "bob", "k1", "");
  const std::string all = "/channels/a/presence/history?start=" + std::to_string(before);
  EXPECT_EQ(ParseArray(Get(port, all, kKeyV3).body)->size(), 0u);  // not readable yet
  ASSERT_TRUE(
      WaitFor([&] { return ParseArray(Get(port, all, kKeyV3).body)->size() == 1; }, seconds(5)));
  const int64_t stamp =
      ParseArray(Get(port, all, kKeyV3).body)->getObject(0)->getValue<int64_t>("timestamp");
  EXPECT_GE(stamp, before);  // on Ably's clock (5 s behind the host)
  EXPECT_LE(stamp, fake.AblyNowMs());
  const std::string until = "/channels/a/presence/history?start=0&end=" + std::to_string(stamp - 1);
  EXPECT_EQ(ParseArray(Get(port, until, kKeyV3).body)->size(), 0u);
}

TEST(StrictFakeTest, RetentionDropsHistoryAtTheMomentOfTheRequest) {
  FakeAblyServer fake(WithCapability(R"({"*":["history"]})"));
  const uint16_t port = fake.Start();
  fake.SetHistoryRetention(milliseconds(300));
  fake.Enter("a", "bob", "k1", "");
  EXPECT_EQ(ParseArray(Get(port, "/channels/a/presence/history", kKeyV3).body)->size(), 1u);
  ASSERT_TRUE(WaitFor(
      [&] {
        return ParseArray(Get(port, "/channels/a/presence/history", kKeyV3).body)->size() == 0;
      },
      seconds(5)));
}

TEST(StrictFakeTest, TheAuthUrlStandInFailsHangsAndHandsOutBadTokensAndCountsItsHits) {
  FakeAblyServer fake(WithCapability(R"({"*":["subscribe"]})"));
  const uint16_t port = fake.Start();
  using Mode = FakeServiceRules::AuthUrlMode;
  fake.rules().SetAuthUrlMode(Mode::kFail);
  EXPECT_EQ(Get(port, "/auth").status, 500);
  fake.rules().SetAuthUrlMode(Mode::kExpired);
  const HttpReply expired = Get(port, "/auth?as=details");
  ASSERT_EQ(expired.status, 200);
  EXPECT_LT(ParseObject(expired.body)->getValue<int64_t>("expires"), fake.AblyNowMs());
  fake.rules().SetAuthUrlMode(Mode::kUnknown);
  const HttpReply unknown = Get(port, "/auth");
  EXPECT_EQ(unknown.body, "Unauthorized");
  EXPECT_EQ(
      Get(port, "/presence?channels=a", {{"Authorization", "Bearer VW5hdXRob3JpemVk"}}).status,
      401);
  fake.rules().SetAuthUrlMode(Mode::kHang);
  HttpReply hung;
  std::thread waiter([&] { hung = Get(port, "/auth"); });
  ASSERT_TRUE(WaitFor([&] { return fake.rules().auth_requests() == 4; }, seconds(5)));
  EXPECT_EQ(hung.status, 0);  // still waiting
  fake.rules().SetAuthUrlMode(Mode::kNormal);
  waiter.join();
  EXPECT_EQ(hung.status, 503);
  EXPECT_EQ(fake.rules().auth_request_times().size(), 4u);
  // Control API: the same modes and the clock.
  EXPECT_EQ(Post(port, "/_fake/auth-url", R"({"mode":"fail"})").status, 200);
  EXPECT_EQ(Get(port, "/auth").status, 500);
  EXPECT_EQ(Post(port, "/_fake/clock", R"({"offsetMs":-3000,"visibilityDelayMs":100})").status,
            200);
  const int64_t ably = ParseArray(Get(port, "/time").body)->getElement<int64_t>(0);
  const int64_t host =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  EXPECT_NEAR(static_cast<double>(ably - host), -3000, 500);
}

}  // namespace
}  // namespace presenced::testing
