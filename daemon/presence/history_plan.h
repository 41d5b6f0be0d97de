#pragma once

// History planning (CONTRACT §1 "Presence history", §3): what one cycle reads for a channel in
// `presence.mode: history` (its history since the cursor, a full snapshot to reconcile, or
// both), and where the channel's history track stands after the cycle. Pure: no I/O, clock,
// logging or metrics; the caller supplies the time. pipeline/history_cycle.h carries out plans.
//
// A channel reconciles on its first cycle (no state), after a restart, every `reconcile_every`
// cycles, after a failed or partial history read or a failed reconcile, and when its cursor is
// older than Ably's retention (kHistoryRetentionMs: what history held for the gap is gone).
// History is read up to now − kHistoryLagMs (messages become visible a little after their
// timestamp) and the cursor only moves when a read succeeded, so a failure is retried from the
// same place.

#include <cstdint>

#include "presence/channel_state.h"

namespace presenced {

inline constexpr int64_t kHistoryLagMs = 2'000;
inline constexpr int64_t kHistoryRetentionMs = 120'000;  // Ably without persistence

// How long a member a reconcile removed is remembered (see HistoryTrack::tombstones): past the
// time its snapshot may take to arrive after the cycle started.
inline constexpr int64_t kTombstoneMs = 60'000;

// What presenced remembers about a channel's history between cycles.
struct HistoryTrack {
  int64_t cursor_ms = 0;      // history is applied up to here (exclusive); 0 = none
  bool need_snapshot = true;  // reconcile next cycle (start, restart, a failure)
  int cycles_since_snapshot = 0;
  // Members a reconcile removed, with the last id seen and the reconcile's time as timestamp,
  // kept until the cursor is kTombstoneMs past it.
  // A reconcile reflects changes history has not been read up to yet; when history is read over
  // them, their older messages must not bring these members back (history_apply.h).
  ChannelState tombstones;
};

// What one cycle reads for a channel.
struct HistoryPlan {
  bool read_history = false;  // history from track.cursor_ms to end_ms
  bool snapshot = false;      // a full snapshot, diffed against the history-built state
  int64_t end_ms = 0;         // now − kHistoryLagMs
};

HistoryPlan PlanHistoryCycle(const HistoryTrack& track, bool has_state, int reconcile_every,
                             int64_t now_ms);

// Returns the track of a channel after a cycle in `presence.mode: snapshot` at `now_ms`: no cursor
// and a reconcile due, so a switch to history mode starts with a snapshot; as tombstones, the
// members whose leave this cycle reported (`left`: the last id seen of each) and those of earlier
// cycles younger than kTombstoneMs. History is then read from a little before that first
// snapshot, over changes snapshot cycles have already reported: the tombstones keep a member that
// left from coming back, so a switch of mode reports nothing twice.
HistoryTrack SnapshotModeTrack(const HistoryTrack& track, const ChannelState& left, int64_t now_ms);
// Returns the track after a cycle that carried out `plan` with these outcomes; `removed` are
// the members its reconcile at `now_ms` removed (tombstones from then on).
HistoryTrack AdvanceHistoryTrack(const HistoryTrack& track, const HistoryPlan& plan,
                                 bool history_ok, bool snapshot_ok,
                                 const ChannelState& removed = ChannelState{}, int64_t now_ms = 0);

}  // namespace presenced
