#pragma once

// History planning (CONTRACT §1 "Presence history", §3): what one cycle reads for a channel in
// `presence.mode: history` (its history since the cursor, a full snapshot, or both), and where the
// channel's history track stands after the cycle. Pure: no I/O, clock, logging or metrics; the
// caller supplies the time, which is Ably's (history filters on when Ably received a message).
//
// History is read up to Ably's now minus presence.history_lag (messages become readable a little
// after their timestamp) and the cursor only moves when a read succeeded, so a failure is retried
// from the same place; it moves to the requested end whatever the answer's last timestamp (a
// quiet window is not a short answer).
//
// A full snapshot is taken:
//  - compared at once ("direct") on a channel's first cycle (no state) and when its cursor has
//    left Ably's retention (presence.history_retention: what history held for the gap is gone);
//  - kept as a PendingReconcile (history_reconcile.h) after a restart, every `reconcile_every`
//    cycles and after a failed history read or reconcile, and compared once history has been read
//    past it; at most kMaxPendingReconciles wait at once.
// A channel with nothing to read yet (its cursor past the window, e.g. after Ably's clock was
// measured anew) plans nothing: that is not a failure.

#include <cstdint>
#include <memory>
#include <vector>

#include "presence/channel_state.h"
#include "presence/history_reconcile.h"

namespace presenced {

// How long a member a reconcile removed is remembered (see HistoryTrack::tombstones): past the
// time its snapshot may take to arrive after the cycle started.
inline constexpr int64_t kTombstoneMs = 60'000;
inline constexpr size_t kMaxPendingReconciles = 8;

// presence.reconcile_every, presence.history_lag and presence.history_retention.
struct HistorySettings {
  int reconcile_every = 20;
  int64_t lag_ms = 5'000;
  int64_t retention_ms = 120'000;
};

// What presenced remembers about a channel's history between cycles.
struct HistoryTrack {
  int64_t cursor_ms = 0;      // history is applied up to here (exclusive); 0 = none
  bool need_snapshot = true;  // reconcile next cycle (start, restart, a failure)
  int cycles_since_snapshot = 0;
  // Members a direct snapshot removed, with the last id seen and the snapshot's time as
  // timestamp, kept until the cursor is kTombstoneMs past it. A direct snapshot reflects changes
  // history has not been read up to yet; when history is read over them, their older messages
  // must not bring these members back (history_apply.h).
  ChannelState tombstones;
  // Reconcile snapshots waiting for history, oldest first (not stored: a restart reconciles).
  std::vector<std::shared_ptr<const PendingReconcile>> pending;
};

// What one cycle reads for a channel.
struct HistoryPlan {
  bool read_history = false;  // history from track.cursor_ms to end_ms
  bool snapshot = false;      // a full snapshot
  bool direct = false;        // the snapshot is compared at once (else it becomes pending)
  int64_t end_ms = 0;         // Ably's now − lag
};

HistoryPlan PlanHistoryCycle(const HistoryTrack& track, bool has_state,
                             const HistorySettings& settings, int64_t now_ms);

// Returns the track of a channel after a cycle in `presence.mode: snapshot` at `now_ms`: no cursor
// and a reconcile due, so a switch to history mode starts with a snapshot; as tombstones, the
// members whose leave this cycle reported (`left`: the last id seen of each) and those of earlier
// cycles younger than kTombstoneMs. History is then read from a little before that first
// snapshot, over changes snapshot cycles have already reported: the tombstones keep a member that
// left from coming back, so a switch of mode reports nothing twice.
HistoryTrack SnapshotModeTrack(const HistoryTrack& track, const ChannelState& left, int64_t now_ms);
// Returns the track after a cycle that carried out `plan` with these outcomes; `removed` are
// the members its direct snapshot at `now_ms` removed (tombstones from then on). Pending
// reconciles are the caller's to update.
HistoryTrack AdvanceHistoryTrack(const HistoryTrack& track, const HistoryPlan& plan,
                                 bool history_ok, bool snapshot_ok,
                                 const ChannelState& removed = ChannelState{}, int64_t now_ms = 0);

}  // namespace presenced
