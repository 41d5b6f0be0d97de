// The fake's presence history (GET /channels/{name}/presence/history): what it records as members
// change, paging with `Link`, the retention window and the bill.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"
#include "test_support.h"

namespace presenced::testing {
namespace {

const std::map<std::string, std::string> kV3 = {{"X-Ably-Version", "3"}};

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { port_ = fake_.Start(); }

  Poco::JSON::Array::Ptr History(const std::string& query, HttpReply* out = nullptr) {
    const HttpReply reply = Get(port_, "/channels/room%3A1/presence/history?" + query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    if (out != nullptr) *out = reply;
    return ParseArray(reply.body);
  }

  FakeAblyServer fake_;
  uint16_t port_ = 0;
};

TEST_F(HistoryTest, RecordsEnterUpdateLeaveWithTheIdsSnapshotsShow) {
  const std::string entered = fake_.Enter("room:1", "bob", "k1", R"("a")");
  const std::string updated = fake_.Update("room:1", "bob", "k1", R"({"b":1})", "json");
  // The snapshot shows the member with the id of its latest message.
  const HttpReply snapshot = Get(port_, "/presence?channels=room%3A1", kV3);
  const auto member = ParseObject(snapshot.body)
                          ->getArray("results")
                          ->getObject(0)
                          ->getArray("presence")
                          ->getObject(0);
  EXPECT_EQ(member->getValue<std::string>("id"), updated);
  ASSERT_TRUE(fake_.Leave("room:1", "bob", "k1"));

  const auto items = History("direction=forwards");
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ(items->getObject(0)->getValue<int>("action"), 2);
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("id"), entered);
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("data"), "a");
  EXPECT_EQ(items->getObject(1)->getValue<int>("action"), 4);
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("id"), updated);
  EXPECT_EQ(items->getObject(1)->getValue<std::string>("encoding"), "json");
  const auto leave = items->getObject(2);
  EXPECT_EQ(leave->getValue<int>("action"), 3);
  EXPECT_EQ(leave->getValue<std::string>("id"), "k1:2:0");  // a serial of its own
  EXPECT_EQ(leave->getValue<std::string>("clientId"), "bob");
  EXPECT_EQ(leave->getValue<std::string>("connectionId"), "k1");
  EXPECT_EQ(leave->getObject("data")->getValue<int>("b"), 1);  // the member's last data
  int64_t previous = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const int64_t timestamp = items->getObject(i)->getValue<int64_t>("timestamp");
    EXPECT_GE(timestamp, previous);
    previous = timestamp;
  }
  // Enter of a present member is an update; update of an absent one an enter.
  fake_.Update("room:1", "carol", "k2", R"("x")");
  fake_.Enter("room:1", "carol", "k2", R"("y")");
  const auto later = History("direction=forwards");
  ASSERT_EQ(later->size(), 5u);
  EXPECT_EQ(later->getObject(3)->getValue<int>("action"), 2);
  EXPECT_EQ(later->getObject(4)->getValue<int>("action"), 4);
  // Backwards (Ably's default) is newest first.
  EXPECT_EQ(History("")->getObject(0)->getValue<std::string>("data"), "y");
  EXPECT_EQ(fake_.HistoryRecorded(2), 2u);
  EXPECT_EQ(fake_.HistoryRecorded(3), 1u);
  EXPECT_EQ(fake_.HistoryRecorded(4), 2u);
}

TEST_F(HistoryTest, PagesWithLinkAndHonoursStartAndEnd) {
  for (int i = 0; i < 7; ++i) fake_.Enter("room:1", "u" + std::to_string(i), "k", "");
  HttpReply reply;
  std::vector<std::string> clients;
  auto items = History("direction=forwards&limit=3", &reply);
  std::vector<std::string> links;
  while (true) {
    for (size_t i = 0; i < items->size(); ++i) {
      clients.push_back(items->getObject(i)->getValue<std::string>("clientId"));
    }
    const std::string link = reply.Header("Link");
    if (link.empty()) break;
    links.push_back(link);
    ASSERT_TRUE(link.starts_with("<./history?")) << link;
    ASSERT_NE(link.find("rel=\"next\""), std::string::npos) << link;
    const std::string query = link.substr(link.find('?') + 1, link.find('>') - link.find('?') - 1);
    items = History(query, &reply);
  }
  EXPECT_EQ(links.size(), 2u);
  EXPECT_EQ(clients, (std::vector<std::string>{"u0", "u1", "u2", "u3", "u4", "u5", "u6"}));

  const auto all = History("direction=forwards");
  const int64_t first = all->getObject(0)->getValue<int64_t>("timestamp");
  EXPECT_EQ(History("direction=forwards&end=" + std::to_string(first - 1))->size(), 0u);
  EXPECT_EQ(History("direction=forwards&start=" + std::to_string(first))->size(), 7u);
  EXPECT_EQ(History("direction=forwards&start=" + std::to_string(first + 60'000))->size(), 0u);
  EXPECT_EQ(Get(port_, "/channels/room%3A1/presence/history?direction=sideways").status, 400);
}

TEST_F(HistoryTest, MessagesOlderThanTheRetentionAreGone) {
  fake_.SetHistoryRetention(std::chrono::milliseconds(50));
  fake_.Enter("room:1", "old", "k1", "");
  ASSERT_TRUE(WaitFor([&] { return History("")->size() == 0; }));
  fake_.SetHistoryRetention(std::chrono::minutes(2));
  fake_.Enter("room:1", "new", "k2", "");
  const auto items = History("");
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("clientId"), "new");
}

TEST_F(HistoryTest, BillsOneMessagePerMemberOrHistoryItemReturned) {
  fake_.Enter("room:1", "a", "k1", "");
  fake_.Enter("room:1", "b", "k2", "");
  fake_.Enter("other", "c", "k3", "");
  ASSERT_EQ(Get(port_, "/presence?channels=room%3A1,other,none", kV3).status, 200);  // 3 members
  ASSERT_EQ(Get(port_, "/channels/room%3A1/presence?limit=1").status, 200);          // 1 member
  History("limit=1");                                                                // 1 item
  History("");                                                                       // 2 items
  EXPECT_EQ(fake_.Bill().snapshot, 4u);
  EXPECT_EQ(fake_.Bill().history, 3u);
  const auto bill = ParseObject(Get(port_, "/_fake/bill").body);
  EXPECT_EQ(bill->getValue<int>("snapshot"), 4);
  EXPECT_EQ(bill->getValue<int>("history"), 3);
  EXPECT_EQ(bill->getObject("recorded")->getValue<int>("enter"), 3);
  fake_.Reset();
  EXPECT_EQ(fake_.Bill().snapshot, 0u);
  EXPECT_EQ(History("")->size(), 0u);
}

TEST_F(HistoryTest, ControlApiSetsTheRetentionAndChannelErrorsApply) {
  ASSERT_EQ(Post(port_, "/_fake/history-retention", R"({"ms":50})").status, 200);
  ASSERT_EQ(Post(port_, "/_fake/enter", R"({"channel":"room:1","clientId":"a","connectionId":"k"})")
                .status,
            200);
  ASSERT_TRUE(WaitFor([&] { return History("")->size() == 0; }));
  EXPECT_EQ(Post(port_, "/_fake/history-retention", R"({"ms":-1})").status, 400);
  fake_.SetChannelError("room:1", 40160, 401);
  const HttpReply denied = Get(port_, "/channels/room%3A1/presence/history");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(ParseObject(denied.body)->getObject("error")->getValue<int>("code"), 40160);
}

}  // namespace
}  // namespace presenced::testing
