#include "presence/client_events.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "presence/diff.h"

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr std::string_view kChannel = "chat:lobby";

Member M(std::string client, std::string connection) {
  std::string id = connection + ":0:0";
  return Member{std::move(client), std::move(connection), std::move(id), "", "", 1000};
}

// The state a first snapshot of `members` leaves.
ChannelState StateOf(const std::vector<Member>& members) {
  return Diff(kChannel, nullptr, members, DiffOptions{}, kNow).next;
}

// "action:clientId:connectionId" of each event, in order.
std::vector<std::string> Summary(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(std::string(ActionName(e.action)) + ":" + e.client_id + ":" + e.connection_id);
  }
  return out;
}

// Diffs `after` against `before` and adds the client events (kNet, as the snapshot path does).
std::vector<std::string> NetEvents(const std::vector<Member>& before,
                                   const std::vector<Member>& after,
                                   ClientChanges* changes = nullptr) {
  const ChannelState state = StateOf(before);
  std::vector<Event> events = Diff(kChannel, &state, after, DiffOptions{}, kNow).events;
  ClientChanges got = AddClientEvents(&state, events, ClientCounting::kNet, true);
  if (changes) *changes = got;
  return Summary(events);
}

using Strings = std::vector<std::string>;

TEST(ClientEventsTest, FirstConnectionIsOnlineLastOneIsOffline) {
  ClientChanges changes;
  EXPECT_EQ(NetEvents({}, {M("ann", "a1"), M("ann", "a2")}, &changes),
            (Strings{"enter:ann:a1", "online:ann:a1", "enter:ann:a2"}));
  EXPECT_EQ(changes.online, Strings{"ann"});
  EXPECT_TRUE(changes.offline.empty());
  EXPECT_EQ(NetEvents({M("ann", "a1"), M("ann", "a2")}, {}, &changes),
            (Strings{"leave:ann:a1", "leave:ann:a2", "offline:ann:a2"}));
  EXPECT_EQ(changes.offline, Strings{"ann"});
  EXPECT_TRUE(changes.online.empty());
}

TEST(ClientEventsTest, ClosingOneTabOfTwoOrReconnectingMakesNoNoise) {
  // One tab of two closes: still online.
  EXPECT_EQ(NetEvents({M("ann", "a1"), M("ann", "a2")}, {M("ann", "a2")}), Strings{"leave:ann:a1"});
  // A new tab opens while one is open.
  EXPECT_EQ(NetEvents({M("ann", "a1")}, {M("ann", "a1"), M("ann", "a2")}), Strings{"enter:ann:a2"});
  // Reconnected between two snapshots: old connection gone, new one present. The diff puts the
  // leave first, but the clientId was online at both snapshots.
  ClientChanges changes;
  EXPECT_EQ(NetEvents({M("ann", "a1")}, {M("ann", "a9")}, &changes),
            (Strings{"leave:ann:a1", "enter:ann:a9"}));
  EXPECT_TRUE(changes.online.empty());
  EXPECT_TRUE(changes.offline.empty());
}

TEST(ClientEventsTest, EachClientIdIsCountedOnItsOwn) {
  EXPECT_EQ(NetEvents({M("ann", "a1"), M("bob", "b1")}, {M("bob", "b1"), M("cat", "c1")}),
            (Strings{"leave:ann:a1", "offline:ann:a1", "enter:cat:c1", "online:cat:c1"}));
}

TEST(ClientEventsTest, ClientEventsCarryTheCausingMemberAndADeterministicId) {
  const ChannelState empty;
  std::vector<Event> events = Diff(kChannel, &empty, {M("ann", "a1")}, DiffOptions{}, kNow).events;
  AddClientEvents(&empty, events, ClientCounting::kNet, true);
  ASSERT_EQ(events.size(), 2u);
  const Event& online = events[1];
  EXPECT_EQ(online.action, Action::kOnline);
  EXPECT_EQ(online.channel, kChannel);
  EXPECT_EQ(online.member_id, "a1:0:0");
  EXPECT_EQ(online.timestamp, 1000);
  EXPECT_EQ(online.observed_at, kNow);
  EXPECT_EQ(online.id, EventId(kChannel, "ann", "a1", Action::kOnline, "a1:0:0"));
  EXPECT_NE(online.id, events[0].id);
  EXPECT_TRUE(online.data.empty());
}

TEST(ClientEventsTest, WithoutEmitTheEventsStayAndTheChangesAreStillReported) {
  const ChannelState empty;
  std::vector<Event> events = Diff(kChannel, &empty, {M("ann", "a1")}, DiffOptions{}, kNow).events;
  const ClientChanges changes = AddClientEvents(&empty, events, ClientCounting::kNet, false);
  EXPECT_EQ(Summary(events), Strings{"enter:ann:a1"});
  EXPECT_EQ(changes.online, Strings{"ann"});
}

TEST(ClientEventsTest, MissingMembersNotYetLeftStillCountAsConnections) {
  // leave_after_misses 2: a1 missing once is still tracked, so ann's leave of a2 keeps her online.
  DiffOptions options;
  options.leave_after_misses = 2;
  const ChannelState first = StateOf({M("ann", "a1"), M("ann", "a2")});
  DiffResult missed = Diff(kChannel, &first, {M("ann", "a2")}, options, kNow);
  ASSERT_TRUE(missed.events.empty());
  DiffResult gone = Diff(kChannel, &missed.next, {}, options, kNow);
  // a2 is missing for the first time (no leave yet); a1 for the second (leave): ann keeps a2.
  std::vector<Event> events = gone.events;
  AddClientEvents(&missed.next, events, ClientCounting::kNet, true);
  EXPECT_EQ(Summary(events), Strings{"leave:ann:a1"});
}

TEST(ClientEventsTest, SequentialCountingFollowsTheOrderOfHistory) {
  auto event = [](Action action, std::string client, std::string connection) {
    Event e;
    e.channel = kChannel;
    e.action = action;
    e.client_id = std::move(client);
    e.connection_id = std::move(connection);
    return e;
  };
  const ChannelState state = StateOf({M("ann", "a1")});
  // History: ann's only connection leaves, later a new one enters: she was offline in between.
  std::vector<Event> events = {event(Action::kLeave, "ann", "a1"),
                               event(Action::kEnter, "ann", "a2"),
                               event(Action::kUpdate, "ann", "a2")};
  const ClientChanges changes = AddClientEvents(&state, events, ClientCounting::kSequential, true);
  EXPECT_EQ(Summary(events), (Strings{"leave:ann:a1", "offline:ann:a1", "enter:ann:a2",
                                      "online:ann:a2", "update:ann:a2"}));
  // Over the whole read she stayed online.
  EXPECT_TRUE(changes.online.empty());
  EXPECT_TRUE(changes.offline.empty());

  // A short visit by a newcomer: enter, leave.
  std::vector<Event> visit = {event(Action::kEnter, "bob", "b1"),
                              event(Action::kLeave, "bob", "b1")};
  AddClientEvents(&state, visit, ClientCounting::kSequential, true);
  EXPECT_EQ(Summary(visit),
            (Strings{"enter:bob:b1", "online:bob:b1", "leave:bob:b1", "offline:bob:b1"}));
}

TEST(ClientEventsTest, PresentOnAFirstSnapshotBringsClientsOnline) {
  DiffOptions options;
  options.first_snapshot_present = true;
  std::vector<Event> events =
      Diff(kChannel, nullptr, {M("ann", "a1"), M("ann", "a2")}, options, kNow).events;
  const ClientChanges changes = AddClientEvents(nullptr, events, ClientCounting::kNet, true);
  EXPECT_EQ(Summary(events), (Strings{"present:ann:a1", "online:ann:a1", "present:ann:a2"}));
  EXPECT_EQ(changes.online, Strings{"ann"});
}

TEST(ChannelStateTest, CountClientCountsTheConnectionsOfOneClientId) {
  const ChannelState state =
      StateOf({M("ann", "a1"), M("ann", "a2"), M("anna", "x"), M("bob", "b1"), M("an", "z")});
  EXPECT_EQ(state.CountClient("ann"), 2u);
  EXPECT_EQ(state.CountClient("anna"), 1u);
  EXPECT_EQ(state.CountClient("an"), 1u);
  EXPECT_EQ(state.CountClient("bob"), 1u);
  EXPECT_EQ(state.CountClient("a"), 0u);
  EXPECT_EQ(state.CountClient("zed"), 0u);
  EXPECT_EQ(ChannelState().CountClient("ann"), 0u);
}

}  // namespace
}  // namespace presenced
