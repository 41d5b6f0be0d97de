#include "delivery/payload.h"

#include <gtest/gtest.h>

#include "presence/channel_state.h"

namespace presenced {
namespace {

Event MakeEvent(std::string channel, Action action, std::string client, std::string data,
                std::string encoding) {
  Event e;
  e.channel = std::move(channel);
  e.action = action;
  e.client_id = std::move(client);
  e.connection_id = "conn1";
  e.member_id = "conn1:2:0";
  e.data = std::move(data);
  e.encoding = std::move(encoding);
  e.timestamp = 1633985256512;
  e.observed_at = 1633985260000;
  e.id = EventId(e.channel, e.client_id, e.connection_id, e.action, e.member_id);
  return e;
}

TEST(PayloadTest, AblyBodyHasOneItemPerChannelInOrderOfFirstAppearance) {
  Event a = MakeEvent("room:1", Action::kEnter, "bob", R"("hi")", "");
  a.id = "e1";
  Event b = MakeEvent("lobby", Action::kLeave, "al\"ice", "", "");
  b.id = "e2";
  Event c = MakeEvent("room:1", Action::kUpdate, "bob", R"({"k":[1,2]})", "json");
  c.id = "e3";
  EXPECT_EQ(
      AblyBody("main", "msg_abc", 1700000000123, {a, b, c}),
      R"({"items":[)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:0","timestamp":1700000000123,)"
      R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
      R"({"id":"e1","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":2,"data":"hi","memberId":"conn1:2:0"},)"
      R"({"id":"e3","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":4,"data":{"k":[1,2]},"encoding":"json","memberId":"conn1:2:0"}]}},)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:1","timestamp":1700000000123,)"
      R"("name":"presence.message","data":{"channelId":"lobby","site":"presenced","presence":[)"
      R"({"id":"e2","clientId":"al\"ice","connectionId":"conn1","timestamp":1633985256512,"action":3,"memberId":"conn1:2:0"}]}}]})");
}

// A sync of `channel` holding two members (bob with JSON data, ann without data).
Event TwoMemberSync(std::string channel) {
  ChannelState members;
  members.Append(MemberView{"ann", "c2", "c2:0:0", "", "", 1000, 0});
  members.Append(MemberView{"bob", "c1", "c1:0:0", R"({"a":1})", "json", 2000, 1});
  return SyncEvent("main", channel, members.Encode(), 1700000000000);
}

TEST(PayloadTest, AblyBodyCutsAChannelIntoItemsWhereTheKindOfEventChanges) {
  Event enter = MakeEvent("room:1", Action::kEnter, "bob", "", "");
  enter.id = "e1";
  Event online = MakeEvent("room:1", Action::kOnline, "bob", "", "");
  online.id = "e2";
  Event leave = MakeEvent("room:1", Action::kLeave, "cat", "", "");
  leave.id = "e3";
  Event sync = TwoMemberSync("room:1");
  EXPECT_EQ(
      AblyBody("main", "msg_abc", 1700000000123, {enter, online, leave, sync}),
      R"({"items":[)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:0","timestamp":1700000000123,)"
      R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
      R"({"id":"e1","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":2,"memberId":"conn1:2:0"}]}},)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:1","timestamp":1700000000123,)"
      R"("name":"presence.client","data":{"channelId":"room:1","site":"presenced","presence":[)"
      R"({"id":"e2","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":"online","memberId":"conn1:2:0"}]}},)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:2","timestamp":1700000000123,)"
      R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
      R"({"id":"e3","clientId":"cat","connectionId":"conn1","timestamp":1633985256512,"action":3,"memberId":"conn1:2:0"}]}},)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:3","timestamp":1700000000123,)"
      R"("name":"presence.sync","data":{"channelId":"room:1","site":"presenced","id":")" +
          sync.id +
          R"(","presence":[)"
          R"({"clientId":"ann","connectionId":"c2","timestamp":1000,"action":1,"memberId":"c2:0:0"},)"
          R"({"clientId":"bob","connectionId":"c1","timestamp":2000,"action":1,"data":{"a":1},"encoding":"json","memberId":"c1:0:0"}]}}]})");
}

TEST(PayloadTest, OccupiedAndVacatedAreChannelLifecycleItemsOfTheirOwn) {
  Event enter = MakeEvent("room:1", Action::kEnter, "bob", "", "");
  enter.id = "e1";
  const Event occupied = ChannelEvent(enter, Action::kOccupied);
  Event enter2 = MakeEvent("room:1", Action::kEnter, "cat", "", "");
  enter2.id = "e2";
  const Event vacated = ChannelEvent(enter2, Action::kVacated);
  EXPECT_EQ(
      AblyBody("main", "msg_abc", 1700000000123, {enter, occupied, enter2, vacated}),
      R"({"items":[)"
      R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:0","timestamp":1700000000123,)"
      R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
      R"({"id":"e1","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":2,"memberId":"conn1:2:0"}]}},)"
      R"({"webhookId":"main","source":"channel.lifecycle","serial":"msg_abc:1","timestamp":1700000000123,)"
      R"("name":"channel.occupied","data":{"channelId":"room:1","name":"room:1","site":"presenced","id":")" +
          occupied.id +
          R"(","timestamp":1633985256512,"status":{"isActive":true}}},)"
          R"({"webhookId":"main","source":"channel.presence","serial":"msg_abc:2","timestamp":1700000000123,)"
          R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
          R"({"id":"e2","clientId":"cat","connectionId":"conn1","timestamp":1633985256512,"action":2,"memberId":"conn1:2:0"}]}},)"
          R"({"webhookId":"main","source":"channel.lifecycle","serial":"msg_abc:3","timestamp":1700000000123,)"
          R"("name":"channel.vacated","data":{"channelId":"room:1","name":"room:1","site":"presenced","id":")" +
          vacated.id + R"(","timestamp":1633985256512,"status":{"isActive":false}}}]})");
}

TEST(PayloadTest, AblyItemIsOneEventsItemWithItsIdAsSerial) {
  Event enter = MakeEvent("room:1", Action::kEnter, "bob", R"("hi")", "");
  EXPECT_EQ(
      AblyItem("stream", enter),
      R"({"webhookId":"stream","source":"channel.presence","serial":")" + enter.id +
          R"(","timestamp":1633985260000,)"
          R"("name":"presence.message","data":{"channelId":"room:1","site":"presenced","presence":[)"
          R"({"id":")" +
          enter.id +
          R"(","clientId":"bob","connectionId":"conn1","timestamp":1633985256512,"action":2,"data":"hi","memberId":"conn1:2:0"}]}})");
}

TEST(PayloadTest, EventsBodyCarriesSyncMembers) {
  const Event sync = TwoMemberSync("lobby");
  EXPECT_EQ(
      EventsBody({sync}),
      R"({"events":[{"id":")" + sync.id +
          R"(","channel":"lobby","action":"sync","members":[)"
          R"({"clientId":"ann","connectionId":"c2","memberId":"c2:0:0","timestamp":1000},)"
          R"({"clientId":"bob","connectionId":"c1","memberId":"c1:0:0","data":{"a":1},"encoding":"json","timestamp":2000}],)"
          R"("observedAt":1700000000000}]})");
}

TEST(PayloadTest, AnEmptyChannelSyncsAnEmptyMemberList) {
  const Event sync = SyncEvent("main", "lobby", ChannelState().Encode(), 5);
  EXPECT_EQ(EventToJson(sync),
            R"({"id":")" + sync.id +
                R"(","channel":"lobby","action":"sync","members":[],"observedAt":5})");
  // Each sync is a new event (receivers de-duplicate on id), and the same one on a retry.
  EXPECT_NE(sync.id, SyncEvent("main", "lobby", ChannelState().Encode(), 6).id);
  EXPECT_NE(sync.id, SyncEvent("other", "lobby", ChannelState().Encode(), 5).id);
  EXPECT_EQ(sync.id, SyncEvent("main", "lobby", "", 5).id);
}

TEST(PayloadTest, AblyBodyOfNoEventsHasNoItems) {
  EXPECT_EQ(AblyBody("main", "msg_x", 1, {}), R"({"items":[]})");
}

TEST(PayloadTest, EventsBodyWrapsEventToJsonInOrder) {
  const Event a = MakeEvent("room:1", Action::kEnter, "bob", R"("hi")", "");
  const Event b = MakeEvent("room:1", Action::kPresent, "carol", "", "");
  EXPECT_EQ(EventsBody({a, b}), "{\"events\":[" + EventToJson(a) + "," + EventToJson(b) + "]}");
  EXPECT_EQ(EventsBody({}), R"({"events":[]})");
  // Pin the shape of one event too (CONTRACT §4), independent of EventToJson.
  Event fixed = MakeEvent("chat:lobby", Action::kEnter, "bob", R"("x")", "json");
  fixed.id = "9f2c";
  EXPECT_EQ(EventsBody({fixed}),
            R"({"events":[{"id":"9f2c","channel":"chat:lobby","action":"enter","clientId":"bob",)"
            R"("connectionId":"conn1","memberId":"conn1:2:0","data":"x","encoding":"json",)"
            R"("timestamp":1633985256512,"observedAt":1633985260000}]})");
}

TEST(PayloadTest, BatchIdIsDeterministicAndDependsOnWebhookAndEvents) {
  const Event a = MakeEvent("c", Action::kEnter, "a", "", "");
  const Event b = MakeEvent("c", Action::kEnter, "b", "", "");
  const std::string id = BatchId("main", {a, b});
  EXPECT_EQ(id, BatchId("main", {a, b}));
  EXPECT_EQ(id.size(), 4u + 32u);
  EXPECT_EQ(id.substr(0, 4), "msg_");
  EXPECT_NE(id, BatchId("other", {a, b}));
  EXPECT_NE(id, BatchId("main", {b, a}));
  EXPECT_NE(id, BatchId("main", {a}));
}

}  // namespace
}  // namespace presenced
