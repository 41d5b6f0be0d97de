// The history track a snapshot-mode cycle leaves (presence/history_plan.h SnapshotModeTrack): no
// cursor, a reconcile due, and tombstones of the members snapshots removed, for a switch to
// history mode.

#include <gtest/gtest.h>

#include "presence/history_plan.h"

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST(SnapshotModeTrackTest, KeepsTheMembersSnapshotsRemovedForAWhileAndNoCursor) {
  HistoryTrack stored;
  stored.cursor_ms = kNow - 10'000;  // left by history mode
  stored.need_snapshot = false;
  stored.cycles_since_snapshot = 3;
  ChannelState left;
  left.Append({"bob", "k1", "k1:5:0", R"("x")", "json", 1000, 0});
  HistoryTrack next = SnapshotModeTrack(stored, left, kNow);
  EXPECT_EQ(next.cursor_ms, 0);
  EXPECT_TRUE(next.need_snapshot);
  // A switch to history mode plans a reconcile first, and no read from the old cursor.
  const HistoryPlan plan = PlanHistoryCycle(next, true, HistorySettings{}, kNow + 1000);
  EXPECT_TRUE(plan.snapshot);
  EXPECT_FALSE(plan.read_history);
  ASSERT_EQ(next.tombstones.member_count(), 1u);
  EXPECT_EQ(next.tombstones.member(0).id, "k1:5:0");
  EXPECT_EQ(next.tombstones.member(0).timestamp, kNow);  // absent as of that snapshot
  EXPECT_TRUE(next.tombstones.member(0).data.empty());
  // Kept by later snapshot cycles for kTombstoneMs, then dropped.
  next = SnapshotModeTrack(next, {}, kNow + kTombstoneMs - 1);
  EXPECT_EQ(next.tombstones.member_count(), 1u);
  next = SnapshotModeTrack(next, {}, kNow + kTombstoneMs + 1);
  EXPECT_TRUE(next.tombstones.empty());
}

}  // namespace
}  // namespace presenced
