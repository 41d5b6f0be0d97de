// The Ably endpoints of the fake over real HTTP: response shapes, channel list decoding, limits,
// credentials and enumeration paging.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"

namespace presenced::testing {
namespace {

class AblyApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = fake_.Start();
    first_id_ = fake_.Enter("a", "alice", "connA", R"({"x":1})", "json");
    fake_.Enter("a", "bob", "connB", R"("hi")");
    fake_.SetChannelError("b", 40160, 401, "Channel denied access based on given capability");
  }

  FakeAblyServer fake_;
  uint16_t port_ = 0;
  std::string first_id_;
};

TEST_F(AblyApiTest, V3AnswersBatchResultWithPerChannelErrors) {
  const HttpReply reply = Get(port_, "/presence?channels=a,b,empty", {{"X-Ably-Version", "3"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto body = ParseObject(reply.body);
  EXPECT_EQ(body->getValue<int>("successCount"), 2);
  EXPECT_EQ(body->getValue<int>("failureCount"), 1);
  const auto results = body->getArray("results");
  ASSERT_EQ(results->size(), 3u);

  const auto a = results->getObject(0);
  EXPECT_EQ(a->getValue<std::string>("channel"), "a");
  const auto presence = a->getArray("presence");
  ASSERT_EQ(presence->size(), 2u);
  const auto alice = presence->getObject(0);
  EXPECT_EQ(alice->getValue<std::string>("id"), first_id_);
  EXPECT_EQ(first_id_, "connA:0:0");
  EXPECT_EQ(alice->getValue<int>("action"), 1);
  EXPECT_EQ(alice->getValue<std::string>("clientId"), "alice");
  EXPECT_EQ(alice->getValue<std::string>("connectionId"), "connA");
  EXPECT_EQ(alice->getObject("data")->getValue<int>("x"), 1);
  EXPECT_EQ(alice->getValue<std::string>("encoding"), "json");
  EXPECT_GT(alice->getValue<int64_t>("timestamp"), 1600000000000);
  EXPECT_FALSE(presence->getObject(1)->has("encoding"));
  EXPECT_EQ(presence->getObject(1)->getValue<std::string>("data"), "hi");
  // The raw data text is emitted verbatim.
  EXPECT_NE(reply.body.find(R"("data":{"x":1})"), std::string::npos);

  const auto b = results->getObject(1);
  EXPECT_EQ(b->getValue<std::string>("channel"), "b");
  EXPECT_FALSE(b->has("presence"));
  EXPECT_EQ(b->getObject("error")->getValue<int>("code"), 40160);
  EXPECT_EQ(b->getObject("error")->getValue<int>("statusCode"), 401);
  EXPECT_EQ(results->getObject(2)->getArray("presence")->size(), 0u);
}

TEST_F(AblyApiTest, V3EvenWhenEveryChannelFails) {
  const HttpReply reply = Get(port_, "/presence?channels=b", {{"X-Ably-Version", "4"}});
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(ParseObject(reply.body)->getValue<int>("successCount"), 0);
  EXPECT_EQ(ParseObject(reply.body)->getValue<int>("failureCount"), 1);
}

TEST_F(AblyApiTest, LegacyVersionsGetLegacyShapes) {
  for (const char* version : {"", "1.2", "2"}) {
    SCOPED_TRACE(std::string("X-Ably-Version: ") + version);
    std::map<std::string, std::string> headers;
    if (*version != '\0') headers["X-Ably-Version"] = version;

    const HttpReply ok = Get(port_, "/presence?channels=a,empty", headers);
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto array = ParseArray(ok.body);
    ASSERT_EQ(array->size(), 2u);
    EXPECT_EQ(array->getObject(0)->getValue<std::string>("channel"), "a");
    EXPECT_EQ(array->getObject(0)->getArray("presence")->size(), 2u);

    const HttpReply partial = Get(port_, "/presence?channels=a,b", headers);
    ASSERT_EQ(partial.status, 400) << partial.body;
    const auto body = ParseObject(partial.body);
    EXPECT_EQ(body->getObject("error")->getValue<int>("code"), 40020);
    EXPECT_EQ(body->getObject("error")->getValue<int>("statusCode"), 400);
    EXPECT_EQ(body->getObject("error")->getValue<std::string>("message"),
              "Batched response includes errors");
    const auto batch = body->getArray("batchResponse");
    ASSERT_EQ(batch->size(), 2u);
    EXPECT_EQ(batch->getObject(0)->getArray("presence")->size(), 2u);
    EXPECT_EQ(batch->getObject(1)->getObject("error")->getValue<int>("code"), 40160);
  }
}

TEST_F(AblyApiTest, ChannelListIsDecodedThenSplit) {
  struct Case {
    std::string query;
    std::vector<std::string> channels;
  };
  const std::vector<Case> cases = {
      {"channels=foo%3Abar%2Cbaz", {"foo:bar", "baz"}},
      {"channels=a,b&rnd=12345", {"a", "b"}},
      {"rnd=1&channels=a%2Cb%7Cc&separator=%7C", {"a,b", "c"}},
      {"channels=x;y,z&separator=;", {"x", "y,z"}},
      {"channels=with+space", {"with space"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    fake_.Reset();
    const HttpReply reply = Get(port_, "/presence?" + c.query, {{"X-Ably-Version", "3"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    const auto requests = fake_.Requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].channels, c.channels);
    const auto results = ParseObject(reply.body)->getArray("results");
    ASSERT_EQ(results->size(), c.channels.size());
    for (size_t i = 0; i < c.channels.size(); ++i) {
      EXPECT_EQ(results->getObject(i)->getValue<std::string>("channel"), c.channels[i]);
    }
  }
}

TEST_F(AblyApiTest, MoreChannelsThanTheLimitFailWith90010) {
  fake_.SetMaxChannels(2);
  EXPECT_EQ(Get(port_, "/presence?channels=a,b").status, 400);  // 40020, within the limit
  const HttpReply reply = Get(port_, "/presence?channels=a,c,d", {{"X-Ably-Version", "3"}});
  ASSERT_EQ(reply.status, 400);
  EXPECT_EQ(ParseObject(reply.body)->getObject("error")->getValue<int>("code"), 90010);
  EXPECT_EQ(ParseObject(reply.body)->getObject("error")->getValue<int>("statusCode"), 400);
}

TEST_F(AblyApiTest, RecordsHeadersOfInterest) {
  Get(port_, "/presence?channels=a", {{"X-Ably-Version", "3"}, {"Ably-Agent", "presenced/0.1.0"}});
  const auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(fake_.RequestCount(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, "/presence");
  EXPECT_EQ(requests[0].query, "channels=a");
  EXPECT_EQ(requests[0].ably_version, "3");
  EXPECT_EQ(requests[0].ably_agent, "presenced/0.1.0");
  EXPECT_FALSE(requests[0].has_authorization);
}

TEST(AblyApiAuthTest, CredentialsAreChecked) {
  FakeAblyServer fake({.key = "app.key:secret", .token = "tok"});
  const uint16_t port = fake.Start();
  struct Case {
    std::string authorization;
    int status;
  };
  const std::vector<Case> cases = {
      {"", 401},
      {"Basic YXBwLmtleTp3cm9uZw==", 401},  // app.key:wrong
      {"Basic YXBwLmtleTpzZWNyZXQ=", 200},  // app.key:secret
      {"Bearer dG9r", 200},                 // tok
      {"Bearer dG9reA==", 401},             // tokx
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authorization);
    std::map<std::string, std::string> headers = {{"X-Ably-Version", "3"}};
    if (!c.authorization.empty()) headers["Authorization"] = c.authorization;
    const HttpReply reply = Get(port, "/presence?channels=a", headers);
    EXPECT_EQ(reply.status, c.status);
    if (c.status == 401) {
      EXPECT_EQ(ParseObject(reply.body)->getObject("error")->getValue<int>("code"), 40101);
      EXPECT_EQ(reply.body.find("secret"), std::string::npos);
    }
  }
  const auto requests = fake.Requests();
  ASSERT_EQ(requests.size(), cases.size());
  EXPECT_FALSE(requests[0].has_authorization);
  EXPECT_TRUE(requests[2].has_authorization);
  EXPECT_EQ(requests[2].auth_scheme, "Basic");
  EXPECT_EQ(requests[3].auth_scheme, "Bearer");
}

// Follows `rel="next"` links from `uri` and returns every page's names.
std::vector<std::vector<std::string>> Pages(uint16_t port, std::string uri) {
  std::vector<std::vector<std::string>> pages;
  for (int guard = 0; guard < 20 && !uri.empty(); ++guard) {
    const HttpReply reply = Get(port, uri);
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::string> names;
    const auto array = ParseArray(reply.body);
    for (size_t i = 0; i < array->size(); ++i) names.push_back(array->getElement<std::string>(i));
    pages.push_back(names);
    uri.clear();
    const std::string link = reply.Header("Link");
    const auto next = link.find(">; rel=\"next\"");
    if (next == std::string::npos) break;
    const auto open = link.rfind("<./", next);
    uri = "/" + link.substr(open + 3, next - open - 3);  // relative to /: ./channels → /channels
  }
  return pages;
}

TEST(AblyApiEnumerationTest, PagesHonourLimitAndPrefix) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  for (const char* name : {"room:e", "room:a", "room:c", "room:b", "room:d", "other", "roomz"}) {
    fake.Enter(name, "u", "c", "");
  }
  using Names = std::vector<std::string>;
  EXPECT_EQ(Pages(port, "/channels?prefix=room%3A&by=id&limit=2"),
            (std::vector<Names>{{"room:a", "room:b"}, {"room:c", "room:d"}, {"room:e"}}));
  // Channels without members are not listed.
  fake.Leave("room:c", "u", "c");
  EXPECT_EQ(Pages(port, "/channels?prefix=room:&by=id&limit=10"),
            (std::vector<Names>{{"room:a", "room:b", "room:d", "room:e"}}));
  // An empty page can still have `next`.
  fake.InsertEmptyPages(1);
  EXPECT_EQ(Pages(port, "/channels?prefix=room:&by=id&limit=3"),
            (std::vector<Names>{{}, {"room:a", "room:b", "room:d"}, {"room:e"}}));
}

TEST(AblyApiChannelPresenceTest, PaginatesMembers) {
  FakeAblyServer fake;
  const uint16_t port = fake.Start();
  for (int i = 0; i < 5; ++i) fake.Enter("chat/lobby", "u" + std::to_string(i), "c", "");
  HttpReply reply = Get(port, "/channels/chat%2Flobby/presence?limit=3");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(ParseArray(reply.body)->size(), 3u);
  EXPECT_EQ(reply.Header("Link"), "<./presence?limit=3&cursor=3>; rel=\"next\"");
  reply = Get(port, "/channels/chat%2Flobby/presence?limit=3&cursor=3");
  EXPECT_EQ(ParseArray(reply.body)->size(), 2u);
  EXPECT_EQ(reply.Header("Link"), "");
}

}  // namespace
}  // namespace presenced::testing
