// The HTTP control API under /_fake/: a round trip of every control request.

#include <gtest/gtest.h>

#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"

namespace presenced::testing {
namespace {

const std::map<std::string, std::string> kV3 = {{"X-Ably-Version", "3"}};

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override { port_ = fake_.Start(); }
  void PostOk(const std::string& path, const std::string& body) {
    const HttpReply reply = Post(port_, path, body);
    ASSERT_EQ(reply.status, 200) << path << ": " << reply.body;
    EXPECT_TRUE(ParseObject(reply.body)->getValue<bool>("ok"));
  }
  Poco::JSON::Array::Ptr Presence(const std::string& channel) {
    const HttpReply reply = Get(port_, "/presence?channels=" + channel, kV3);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return ParseObject(reply.body)->getArray("results")->getObject(0)->getArray("presence");
  }

  FakeAblyServer fake_;
  uint16_t port_ = 0;
};

TEST_F(ControlApiTest, EnterUpdateLeave) {
  HttpReply reply = Post(port_, "/_fake/enter",
                         R"({"channel":"c","clientId":"bob","connectionId":"k1",
                             "data":{"z":1,"a":[true,null]},"encoding":"json"})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(ParseObject(reply.body)->getValue<std::string>("id"), "k1:0:0");
  auto members = Presence("c");
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->getObject(0)->getValue<std::string>("encoding"), "json");
  // Key order is kept when the data is stored as compact JSON text.
  EXPECT_NE(Get(port_, "/presence?channels=c").body.find(R"("data":{"z":1,"a":[true,null]})"),
            std::string::npos);

  reply = Post(port_, "/_fake/update",
               R"({"channel":"c","clientId":"bob","connectionId":"k1","dataRaw":"\"away\""})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(ParseObject(reply.body)->getValue<std::string>("id"), "k1:1:0");
  members = Presence("c");
  EXPECT_EQ(members->getObject(0)->getValue<std::string>("data"), "away");
  EXPECT_FALSE(members->getObject(0)->has("encoding"));

  reply = Post(port_, "/_fake/leave", R"({"channel":"c","clientId":"bob","connectionId":"k1"})");
  EXPECT_TRUE(ParseObject(reply.body)->getValue<bool>("removed"));
  EXPECT_EQ(Presence("c")->size(), 0u);
  EXPECT_EQ(fake_.MemberCount("c"), 0u);
}

TEST_F(ControlApiTest, FailureKnobs) {
  PostOk("/_fake/channel-error", R"({"channel":"x","code":40160,"statusCode":401})");
  HttpReply reply = Get(port_, "/presence?channels=x", kV3);
  EXPECT_EQ(ParseObject(reply.body)->getValue<int>("failureCount"), 1);
  PostOk("/_fake/channel-error", R"({"channel":"x","code":0})");
  reply = Get(port_, "/presence?channels=x", kV3);
  EXPECT_EQ(ParseObject(reply.body)->getValue<int>("failureCount"), 0);

  PostOk("/_fake/fail", R"({"count":1,"status":500,"code":50000})");
  EXPECT_EQ(Get(port_, "/presence?channels=x", kV3).status, 500);
  PostOk("/_fake/fail", R"({"count":1,"status":429,"code":42910,"headersOnly":true})");
  reply = Get(port_, "/presence?channels=x", kV3);
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(reply.Header("X-Ably-ErrorCode"), "42910");
  EXPECT_EQ(Get(port_, "/presence?channels=x", kV3).status, 200);

  PostOk("/_fake/limit", R"({"maxChannels":1})");
  reply = Get(port_, "/presence?channels=x,y", kV3);
  EXPECT_EQ(ParseObject(reply.body)->getObject("error")->getValue<int>("code"), 90010);

  PostOk("/_fake/garbage", R"({"count":1})");
  EXPECT_EQ(Get(port_, "/presence?channels=x", kV3).body.front(), '<');
  fake_.Enter("x", "u", "c", R"("0123456789")");
  PostOk("/_fake/truncate", R"({"count":1})");
  reply = Get(port_, "/presence?channels=x", kV3);
  EXPECT_LT(static_cast<int64_t>(reply.body.size()), reply.content_length);
  PostOk("/_fake/empty-pages", R"({"count":1})");
  reply = Get(port_, "/channels?prefix=&by=id&limit=5");
  EXPECT_EQ(reply.body, "[]");
  EXPECT_NE(reply.Header("Link").find("rel=\"next\""), std::string::npos);
  PostOk("/_fake/delay", R"({"ms":0})");
}

TEST_F(ControlApiTest, RequestsAndReset) {
  Get(port_, "/presence?channels=a%2Cb", {{"X-Ably-Version", "3"}, {"Ably-Agent", "t/1"}});
  const HttpReply reply = Get(port_, "/_fake/requests");
  ASSERT_EQ(reply.status, 200);
  const auto requests = ParseArray(reply.body);
  ASSERT_EQ(requests->size(), 1u);  // control requests are not recorded
  const auto first = requests->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("path"), "/presence");
  EXPECT_EQ(first->getArray("channels")->size(), 2u);
  EXPECT_EQ(first->getValue<std::string>("ablyVersion"), "3");
  EXPECT_EQ(first->getValue<std::string>("ablyAgent"), "t/1");
  EXPECT_FALSE(first->getValue<bool>("hasAuthorization"));

  fake_.Enter("a", "u", "c", "");
  PostOk("/_fake/reset", "");
  EXPECT_EQ(fake_.RequestCount(), 0u);
  EXPECT_EQ(fake_.MemberCount("a"), 0u);
}

TEST_F(ControlApiTest, RejectsBadRequests) {
  EXPECT_EQ(Post(port_, "/_fake/enter", "{not json").status, 400);
  EXPECT_EQ(Post(port_, "/_fake/enter", R"({"clientId":"x"})").status, 400);
  EXPECT_EQ(Post(port_, "/_fake/nope", "{}").status, 400);
  EXPECT_EQ(Post(port_, "/_fake/limit", R"({"maxChannels":0})").status, 400);
}

}  // namespace
}  // namespace presenced::testing
