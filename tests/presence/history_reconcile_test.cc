// Reconciles compared at the moment they were taken (presence/history_reconcile.h): what history
// reports is never a correction, what it missed is, and the corrections sit between the history
// events older and newer than the snapshot.

#include "presence/history_reconcile.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr std::string_view kChannel = "room:1";

Member M(std::string client, std::string id, int64_t timestamp, std::string data = R"("x")") {
  std::string connection = id.substr(0, id.find(':'));
  return Member{std::move(client), std::move(connection), std::move(id), std::move(data), "",
                timestamp};
}

PresenceMessage Msg(MessageAction action, Member member) { return {action, std::move(member)}; }

std::vector<std::string> Summary(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events)
    out.push_back(std::string(ActionName(e.action)) + " " + e.client_id);
  return out;
}

PendingReconcile Snapshot(std::vector<Member> members, int64_t from_ms, int64_t to_ms) {
  PendingReconcile snapshot;
  snapshot.members = SnapshotState(kChannel, members);
  snapshot.from_ms = from_ms;
  snapshot.to_ms = to_ms;
  return snapshot;
}

TEST(HistoryReconcileTest, WhatHistoryReportsIsNeverACorrection) {
  // bob was present; he updated inside the snapshot's bounds and left after it; carol entered
  // inside them. The snapshot (taken between 5000 and 7000) shows bob updated and carol.
  const ChannelState before = SnapshotState(kChannel, {M("bob", "k1:0:0", 1000)});
  const PendingReconcile snapshot =
      Snapshot({M("bob", "k1:1:0", 6000, R"("y")"), M("carol", "k2:0:0", 6500)}, 5000, 7000);
  const std::vector<PresenceMessage> history = {
      Msg(MessageAction::kUpdate, M("bob", "k1:1:0", 6000, R"("y")")),
      Msg(MessageAction::kEnter, M("carol", "k2:0:0", 6500)),
      Msg(MessageAction::kLeave, M("bob", "k1:2:0", 9000, R"("y")"))};
  const HistoryReconcileResult result = ApplyHistoryWithReconciles(
      kChannel, before, history, {&snapshot}, DiffOptions{}, kNow, ChannelState{});
  EXPECT_EQ(Summary(result.events),
            (std::vector<std::string>{"update bob", "enter carol", "leave bob"}));
  EXPECT_TRUE(result.corrections.empty());
  const ChannelState after = Apply(before, result.delta);
  ASSERT_EQ(after.member_count(), 1u);
  EXPECT_EQ(after.member(0).client_id, "carol");
}

TEST(HistoryReconcileTest, WhatAnEarlierReadAppliedInsideTheBoundsIsNoCorrection) {
  // The snapshot (bounds 5000..7000) shows bob, who left at 6000. History up to 6500 was read
  // before the snapshot became due, so his leave is applied already; the read that compares the
  // snapshot starts at 6500. His leave is history's, not something history missed.
  const ChannelState start = SnapshotState(kChannel, {M("bob", "k1:0:0", 1000)});
  const auto snapshot =
      std::make_shared<const PendingReconcile>(Snapshot({M("bob", "k1:0:0", 1000)}, 5000, 7000));
  const std::vector<PresenceMessage> first = {Msg(MessageAction::kLeave, M("bob", "k1:1:0", 6000))};
  NoteHistoryInWindows(first, {snapshot});
  const HistoryReconcileResult earlier =
      ApplyHistoryWithReconciles(kChannel, start, first, {}, DiffOptions{}, kNow, ChannelState{});
  ASSERT_EQ(Summary(earlier.events), (std::vector<std::string>{"leave bob"}));
  const ChannelState before = Apply(start, earlier.delta);
  const std::vector<PresenceMessage> second = {
      Msg(MessageAction::kEnter, M("carol", "k2:0:0", 7500))};
  NoteHistoryInWindows(second, {snapshot});
  const HistoryReconcileResult result = ApplyHistoryWithReconciles(
      kChannel, before, second, {snapshot.get()}, DiffOptions{}, kNow, ChannelState{});
  EXPECT_EQ(Summary(result.events), (std::vector<std::string>{"enter carol"}));
  EXPECT_TRUE(result.corrections.empty());
}

TEST(HistoryReconcileTest, WhatHistoryMissedIsCorrectedAtTheSnapshotsPlaceInTime) {
  // History lost dave's enter and ann's leave (both long before the snapshot); it reports bob's
  // enter before the snapshot and erin's after it.
  const ChannelState before = SnapshotState(kChannel, {M("ann", "k0:0:0", 500)});
  const PendingReconcile snapshot =
      Snapshot({M("bob", "k1:0:0", 2000), M("dave", "k3:0:0", 1500)}, 5000, 7000);
  const std::vector<PresenceMessage> history = {
      Msg(MessageAction::kEnter, M("bob", "k1:0:0", 2000)),
      Msg(MessageAction::kEnter, M("erin", "k4:0:0", 8000))};
  const HistoryReconcileResult result = ApplyHistoryWithReconciles(
      kChannel, before, history, {&snapshot}, DiffOptions{}, kNow, ChannelState{});
  EXPECT_EQ(Summary(result.events),
            (std::vector<std::string>{"enter bob", "leave ann", "enter dave", "enter erin"}));
  EXPECT_EQ(result.corrections.at(Action::kLeave), 1u);
  EXPECT_EQ(result.corrections.at(Action::kEnter), 1u);
  const ChannelState after = Apply(before, result.delta);
  EXPECT_EQ(after.member_count(), 3u);  // bob, dave, erin
}

TEST(HistoryReconcileTest, WithoutASnapshotDueItIsPlainHistory) {
  const HistoryReconcileResult result = ApplyHistoryWithReconciles(
      kChannel, ChannelState{}, {Msg(MessageAction::kEnter, M("bob", "k1:0:0", 2000))}, {},
      DiffOptions{}, kNow, ChannelState{});
  EXPECT_EQ(Summary(result.events), (std::vector<std::string>{"enter bob"}));
  EXPECT_TRUE(result.corrections.empty());
}

TEST(HistoryReconcileTest, SeveralSnapshotsAreComparedInOrder) {
  // Two snapshots; between them bob entered and history missed it; after the second, ann's
  // leave was missed too.
  const ChannelState before = SnapshotState(kChannel, {M("ann", "k0:0:0", 500)});
  const PendingReconcile first = Snapshot({M("ann", "k0:0:0", 500)}, 1000, 2000);
  const PendingReconcile second = Snapshot({M("bob", "k1:0:0", 3000)}, 4000, 5000);
  const HistoryReconcileResult result = ApplyHistoryWithReconciles(
      kChannel, before, {}, {&first, &second}, DiffOptions{}, kNow, ChannelState{});
  EXPECT_EQ(Summary(result.events), (std::vector<std::string>{"leave ann", "enter bob"}));
}

}  // namespace
}  // namespace presenced
