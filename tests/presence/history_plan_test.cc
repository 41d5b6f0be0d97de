// presence.mode: history — the per-channel plan (history, reconcile, or both) and the track
// each cycle leaves behind (presence/history_plan.h).

#include "presence/history_plan.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// reconcile_every `every`, a lag of 2 s and Ably's 2-minute retention.
HistorySettings Settings(int every) { return HistorySettings{every, 2'000, 120'000}; }

HistoryTrack Track(int64_t cursor_ms, bool need_snapshot, int cycles_since_snapshot) {
  HistoryTrack track;
  track.cursor_ms = cursor_ms;
  track.need_snapshot = need_snapshot;
  track.cycles_since_snapshot = cycles_since_snapshot;
  return track;
}

TEST(HistoryPlanTest, ReconcilesWhenHistoryCannotBeTrusted) {
  // First cycle: no state, no cursor: a snapshot only.
  HistoryPlan plan = PlanHistoryCycle(HistoryTrack{}, false, Settings(20), kNow);
  EXPECT_FALSE(plan.read_history);
  EXPECT_TRUE(plan.snapshot);
  EXPECT_EQ(plan.end_ms, kNow - 2000);
  // Trusted: history only.
  const HistoryTrack trusted = Track(kNow - 15'000, false, 3);
  plan = PlanHistoryCycle(trusted, true, Settings(20), kNow);
  EXPECT_TRUE(plan.read_history);
  EXPECT_FALSE(plan.snapshot);
  // Every reconcile_every cycles, after a failure or a restart: history and a snapshot.
  EXPECT_TRUE(PlanHistoryCycle(Track(kNow - 15'000, false, 19), true, Settings(20), kNow).snapshot);
  EXPECT_TRUE(PlanHistoryCycle(Track(kNow - 15'000, false, 0), true, Settings(1), kNow).snapshot);
  plan = PlanHistoryCycle(Track(kNow - 15'000, true, 0), true, Settings(20), kNow);
  EXPECT_TRUE(plan.read_history);
  EXPECT_TRUE(plan.snapshot);
  // A gap longer than the retention: history no longer holds it, a snapshot only.
  plan = PlanHistoryCycle(Track(kNow - 2'000 - 120'000, false, 0), true, Settings(20), kNow);
  EXPECT_FALSE(plan.read_history);
  EXPECT_TRUE(plan.snapshot);
  // A cursor ahead of the window (a short interval): nothing to read yet.
  plan = PlanHistoryCycle(Track(kNow, false, 0), true, Settings(20), kNow);
  EXPECT_FALSE(plan.read_history);
  EXPECT_FALSE(plan.snapshot);
}

TEST(HistoryPlanTest, TheCursorMovesOnlyWithASuccessfulRead) {
  const HistoryTrack track = Track(kNow - 15'000, false, 3);
  const HistoryPlan history_only = PlanHistoryCycle(track, true, Settings(20), kNow);
  HistoryTrack next = AdvanceHistoryTrack(track, history_only, true, false);
  EXPECT_EQ(next.cursor_ms, kNow - 2000 + 1);
  EXPECT_EQ(next.cycles_since_snapshot, 4);
  EXPECT_FALSE(next.need_snapshot);
  next = AdvanceHistoryTrack(track, history_only, false, false);
  EXPECT_EQ(next.cursor_ms, track.cursor_ms);  // read again next cycle
  EXPECT_TRUE(next.need_snapshot);             // and reconciled
  // A snapshot with nothing older to read starts history at the end of this window.
  const HistoryPlan first = PlanHistoryCycle(HistoryTrack{}, false, Settings(20), kNow);
  next = AdvanceHistoryTrack(HistoryTrack{}, first, false, true);
  EXPECT_EQ(next.cursor_ms, kNow - 2000 + 1);
  EXPECT_FALSE(next.need_snapshot);
  EXPECT_EQ(next.cycles_since_snapshot, 0);
  // A reconcile that failed is tried again.
  next = AdvanceHistoryTrack(HistoryTrack{}, first, false, false);
  EXPECT_EQ(next.cursor_ms, 0);
  EXPECT_TRUE(next.need_snapshot);
}

TEST(HistoryPlanTest, MembersAReconcileRemovedAreRememberedUntilHistoryIsReadPastThem) {
  const HistoryTrack track = Track(kNow - 15'000, true, 3);
  const HistoryPlan plan = PlanHistoryCycle(track, true, Settings(20), kNow);
  ChannelState removed;
  removed.Append({"bob", "k1", "k1:5:0", R"("x")", "", 1000, 0});
  HistoryTrack next = AdvanceHistoryTrack(track, plan, true, true, removed, kNow);
  ASSERT_EQ(next.tombstones.member_count(), 1u);
  EXPECT_EQ(next.tombstones.member(0).id, "k1:5:0");
  EXPECT_EQ(next.tombstones.member(0).timestamp, kNow);  // absent as of the reconcile
  EXPECT_TRUE(next.tombstones.member(0).data.empty());
  // Kept while history is read up to kTombstoneMs past the reconcile, then dropped.
  next = AdvanceHistoryTrack(next, PlanHistoryCycle(next, true, Settings(20), kNow + 30'000), true,
                             false, {}, kNow + 30'000);
  EXPECT_EQ(next.tombstones.member_count(), 1u);
  next = AdvanceHistoryTrack(next, PlanHistoryCycle(next, true, Settings(20), kNow + 90'000), true,
                             false, {}, kNow + 90'000);
  EXPECT_TRUE(next.tombstones.empty());
}

}  // namespace
}  // namespace presenced
