#include "presence/history_plan.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

namespace presenced {

HistoryPlan PlanHistoryCycle(const HistoryTrack& track, bool has_state,
                             const HistorySettings& settings, int64_t now_ms) {
  HistoryPlan plan;
  plan.end_ms = now_ms - settings.lag_ms;
  // Whether Ably still holds the window's start (checked again when the read is sent).
  const bool covered = track.cursor_ms > 0 && now_ms - track.cursor_ms < settings.retention_ms;
  plan.read_history = has_state && covered && track.cursor_ms <= plan.end_ms;
  if (!has_state || !covered) {
    plan.snapshot = plan.direct = true;
    return plan;
  }
  plan.snapshot = (track.need_snapshot ||
                   track.cycles_since_snapshot + 1 >= std::max(settings.reconcile_every, 1)) &&
                  track.pending.size() < kMaxPendingReconciles;
  return plan;
}

namespace {

// Returns the tombstones still needed at `cursor_ms` plus `removed`, in key order.
ChannelState NextTombstones(const ChannelState& old, const ChannelState& removed, int64_t cursor_ms,
                            int64_t now_ms) {
  if (old.empty() && removed.empty()) return {};
  std::map<std::pair<std::string_view, std::string_view>, MemberView> keep;
  old.ForEach([&](const MemberView& v) {
    if (v.timestamp + kTombstoneMs >= cursor_ms) keep[{v.client_id, v.connection_id}] = v;
  });
  removed.ForEach([&](const MemberView& v) {
    keep[{v.client_id, v.connection_id}] =
        MemberView{v.client_id, v.connection_id, v.id, {}, {}, now_ms, 0};
  });
  ChannelState out;
  for (const auto& [key, v] : keep) out.Append(v);
  return out;
}

}  // namespace

HistoryTrack SnapshotModeTrack(const HistoryTrack& track, const ChannelState& left,
                               int64_t now_ms) {
  HistoryTrack next;
  next.tombstones = NextTombstones(track.tombstones, left, now_ms, now_ms);
  return next;
}

HistoryTrack AdvanceHistoryTrack(const HistoryTrack& track, const HistoryPlan& plan,
                                 bool history_ok, bool snapshot_ok, const ChannelState& removed,
                                 int64_t now_ms) {
  HistoryTrack next = track;
  if (plan.read_history) {
    if (history_ok) {
      next.cursor_ms = plan.end_ms + 1;
    } else {
      next.need_snapshot = true;  // the window is read again next cycle, and reconciled
    }
  }
  if (plan.snapshot && snapshot_ok) {
    next.need_snapshot = false;
    next.cycles_since_snapshot = 0;
    if (plan.direct) {
      // Nothing older to read (a first snapshot, or a gap history no longer holds): the snapshot
      // reflects everything up to now, and history continues from the end of this cycle's
      // window. Reconciles still waiting are older than it: moot.
      next.cursor_ms = std::max(track.cursor_ms, plan.end_ms + 1);
      next.pending.clear();
    }
  } else {
    if (plan.snapshot) next.need_snapshot = true;  // a reconcile that failed is tried again
    ++next.cycles_since_snapshot;
  }
  next.tombstones = NextTombstones(track.tombstones, removed, next.cursor_ms, now_ms);
  return next;
}

}  // namespace presenced
