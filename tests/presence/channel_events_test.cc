#include "presence/channel_events.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "presence/client_events.h"

namespace presenced {
namespace {

constexpr std::string_view kChannel = "room:1";

// A member event of kChannel: "enter:ann" is ann's enter on connection ann-c (member id
// ann-c:0:<n>, timestamp 1000 + n).
Event E(const std::string& spec, int n = 0) {
  const size_t colon = spec.find(':');
  const Action action = *ParseActionName(spec.substr(0, colon));
  const std::string client = spec.substr(colon + 1);
  return MakeEvent(kChannel, action, client, client + "-c", client + "-c:0:" + std::to_string(n),
                   "", "", 1000 + n, 2000 + n);
}

// "action" for channel events, "action:clientId" for the others, in order.
std::vector<std::string> Summary(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(IsChannelAction(e.action)
                      ? std::string(ActionName(e.action))
                      : std::string(ActionName(e.action)) + ":" + e.client_id);
  }
  return out;
}

using Strings = std::vector<std::string>;

struct Case {
  const char* name;
  ClientCounting counting;
  size_t before;
  Strings events;  // "action:clientId"
  Strings want;
};

const Case kCases[] = {
    {"first enter occupies", ClientCounting::kNet, 0, {"enter:ann"}, {"enter:ann", "occupied"}},
    {"occupied after the first of several enters",
     ClientCounting::kNet,
     0,
     {"enter:ann", "enter:bob"},
     {"enter:ann", "occupied", "enter:bob"}},
    {"last leave vacates", ClientCounting::kNet, 1, {"leave:ann"}, {"leave:ann", "vacated"}},
    {"vacated after the last of several leaves",
     ClientCounting::kNet,
     2,
     {"leave:ann", "leave:bob"},
     {"leave:ann", "leave:bob", "vacated"}},
    // Between two snapshots one member left and another entered: never seen empty.
    {"snapshot swap is no vacancy",
     ClientCounting::kNet,
     1,
     {"leave:ann", "enter:bob"},
     {"leave:ann", "enter:bob"}},
    {"not the last leave", ClientCounting::kNet, 2, {"leave:ann"}, {"leave:ann"}},
    {"an enter into an occupied room", ClientCounting::kNet, 1, {"enter:bob"}, {"enter:bob"}},
    {"updates count nothing", ClientCounting::kNet, 1, {"update:ann"}, {"update:ann"}},
    // initial_snapshot: present makes the first snapshot's members `present`.
    {"present occupies",
     ClientCounting::kNet,
     0,
     {"present:ann", "present:bob"},
     {"present:ann", "occupied", "present:bob"}},
    // initial_snapshot: baseline: a first snapshot emits nothing, so no occupied either.
    {"baseline emits nothing", ClientCounting::kNet, 0, {}, {}},
    // History: the order is real, so a room emptied and refilled within a cycle says so.
    {"history leave then enter",
     ClientCounting::kSequential,
     1,
     {"leave:ann", "enter:bob"},
     {"leave:ann", "vacated", "enter:bob", "occupied"}},
    {"history short visit",
     ClientCounting::kSequential,
     0,
     {"enter:ann", "leave:ann"},
     {"enter:ann", "occupied", "leave:ann", "vacated"}},
    {"history overlap keeps it occupied",
     ClientCounting::kSequential,
     0,
     {"enter:ann", "enter:bob", "leave:ann", "leave:bob"},
     {"enter:ann", "occupied", "enter:bob", "leave:ann", "leave:bob", "vacated"}},
    {"a leave never counted does not go below zero",
     ClientCounting::kSequential,
     0,
     {"leave:ghost", "enter:ann"},
     {"leave:ghost", "enter:ann", "occupied"}},
    // With client events the room changes after its user's online/offline.
    {"after online",
     ClientCounting::kNet,
     0,
     {"enter:ann", "online:ann", "enter:bob"},
     {"enter:ann", "online:ann", "occupied", "enter:bob"}},
    {"after offline",
     ClientCounting::kSequential,
     1,
     {"leave:ann", "offline:ann"},
     {"leave:ann", "offline:ann", "vacated"}},
};

TEST(ChannelEventsTest, Table) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    std::vector<Event> events;
    for (size_t i = 0; i < c.events.size(); ++i) events.push_back(E(c.events[i], int(i)));
    const size_t added = AddChannelEvents(c.before, events, c.counting);
    EXPECT_EQ(Summary(events), c.want);
    EXPECT_EQ(added, c.want.size() - c.events.size());
  }
}

TEST(ChannelEventsTest, CarryNoMemberFieldsAndTheCausesTimesAndADeterministicId) {
  std::vector<Event> events = {E("enter:ann", 3)};
  AddChannelEvents(0, events, ClientCounting::kNet);
  ASSERT_EQ(events.size(), 2u);
  const Event& occupied = events[1];
  EXPECT_EQ(occupied.action, Action::kOccupied);
  EXPECT_EQ(occupied.channel, kChannel);
  EXPECT_EQ(occupied.client_id, "");
  EXPECT_EQ(occupied.connection_id, "");
  EXPECT_EQ(occupied.member_id, "");
  EXPECT_EQ(occupied.timestamp, 1003);
  EXPECT_EQ(occupied.observed_at, 2003);
  EXPECT_EQ(occupied.id, EventId(kChannel, "ann", "ann-c", Action::kOccupied, "ann-c:0:3"));
  // The same cause gives the same id (retries, restarts, replicas).
  std::vector<Event> again = {E("enter:ann", 3)};
  AddChannelEvents(0, again, ClientCounting::kNet);
  EXPECT_EQ(again[1].id, occupied.id);
  EXPECT_EQ(EventToJson(occupied), "{\"id\":\"" + occupied.id +
                                       "\",\"channel\":\"room:1\",\"action\":\"occupied\","
                                       "\"timestamp\":1003,\"observedAt\":2003}");
}

TEST(ChannelEventsTest, EachOccupancyHasItsOwnId) {
  std::vector<Event> events = {E("enter:ann", 0), E("leave:ann", 1), E("enter:ann", 2)};
  AddChannelEvents(0, events, ClientCounting::kSequential);
  ASSERT_EQ(Summary(events),
            (Strings{"enter:ann", "occupied", "leave:ann", "vacated", "enter:ann", "occupied"}));
  EXPECT_NE(events[1].id, events[5].id);
  EXPECT_NE(events[1].id, events[3].id);
}

TEST(ChannelEventsTest, ActionNamesRoundTrip) {
  EXPECT_EQ(ActionName(Action::kOccupied), "occupied");
  EXPECT_EQ(ActionName(Action::kVacated), "vacated");
  EXPECT_EQ(ParseActionName("occupied"), Action::kOccupied);
  EXPECT_EQ(ParseActionName("vacated"), Action::kVacated);
  EXPECT_TRUE(IsChannelAction(Action::kVacated));
  EXPECT_FALSE(IsChannelAction(Action::kLeave));
}

}  // namespace
}  // namespace presenced
