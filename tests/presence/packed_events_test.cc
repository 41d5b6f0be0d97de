#include "presence/packed_events.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace presenced {
namespace {

void ExpectSame(const Event& a, const Event& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.client_id, b.client_id);
  EXPECT_EQ(a.connection_id, b.connection_id);
  EXPECT_EQ(a.member_id, b.member_id);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.encoding, b.encoding);
  EXPECT_EQ(a.timestamp, b.timestamp);
  EXPECT_EQ(a.observed_at, b.observed_at);
  EXPECT_EQ(a.members, b.members);
}

std::vector<Event> Sample() {
  std::vector<Event> events;
  events.push_back(MakeEvent("room:1", Action::kEnter, "alice", "conn-a", "conn-a:0:0",
                             R"({"x":1})", "", 1700000000000, 1700000000123));
  // A long data field (a length over one varint byte), an encoding, binary bytes, negative time.
  std::string data(300, 'd');
  data[7] = '\0';
  events.push_back(
      MakeEvent("room:1", Action::kLeave, "bob", "conn-b", "conn-b:1:2", data, "base64", -5, 0));
  events.push_back(ChannelEvent(events[0], Action::kOccupied));
  events.push_back(SyncEvent("hook", "room:1", std::string(70000, '\x01'), 42));
  events.push_back(Event{});  // every field empty
  // Ids not of EventId's form: upper-case hex, 31 and 33 digits, not hex.
  Event odd = events[0];
  for (const char* id : {"0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcde",
                         "0123456789abcdef0123456789abcdef0", "g123456789abcdef0123456789abcdef"}) {
    odd.id = id;
    events.push_back(odd);
  }
  // Another channel, then the first one again.
  events.push_back(MakeEvent("room:2", Action::kUpdate, "carol", "c", "c:0:0", "", "", 1, 2));
  events.push_back(MakeEvent("room:1", Action::kUpdate, "dave", "d", "d:0:0", "", "", 1, 2));
  return events;
}

TEST(PackedEventsTest, GivesBackEveryFieldOfEveryEventInOrder) {
  const std::vector<Event> events = Sample();
  const PackedEvents packed(events);
  EXPECT_EQ(packed.size(), events.size());
  EXPECT_FALSE(packed.empty());
  const std::vector<Event> back = packed.Unpack();
  ASSERT_EQ(back.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) ExpectSame(back[i], events[i]);
  size_t i = 0;
  packed.ForEach([&](const Event& e) { ExpectSame(e, events[i++]); });
  EXPECT_EQ(i, events.size());
}

TEST(PackedEventsTest, AppendAddsAfterTheOnesPacked) {
  const std::vector<Event> events = Sample();
  PackedEvents packed(std::vector<Event>(events.begin(), events.begin() + 2));
  for (size_t i = 2; i < events.size(); ++i) packed.Append(events[i]);
  const std::vector<Event> back = packed.Unpack();
  ASSERT_EQ(back.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) ExpectSame(back[i], events[i]);
}

TEST(PackedEventsTest, IsFarSmallerThanEvents) {
  std::vector<Event> events;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    events.push_back(MakeEvent("room:00001", Action::kEnter, "client-" + n, "connection-" + n,
                               "connection-" + n + ":0:0", "", "", 1, 2));
  }
  const PackedEvents packed(events);
  // id 16 + client ~10 + connection ~14 + member ~18, 8 lengths or markers, action, 2 ints: the
  // id as 16 bytes, the repeated channel as one.
  EXPECT_LT(packed.bytes(), 1000u * 90);
  EXPECT_LT(packed.bytes(), 1000u * sizeof(Event) / 2);
  EXPECT_EQ(packed.Unpack().size(), 1000u);
}

TEST(PackedEventsTest, EmptyHasNoEvents) {
  const PackedEvents packed;
  EXPECT_TRUE(packed.empty());
  EXPECT_EQ(packed.size(), 0u);
  int calls = 0;
  packed.ForEach([&](const Event&) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(PackedEvents(std::vector<Event>{}).empty());
}

}  // namespace
}  // namespace presenced
