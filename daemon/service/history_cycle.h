#pragma once

// The per-channel work of one poll cycle in `presence.mode: history` (CONTRACT §1 "Presence
// history", §3): read each channel's presence history since its cursor and apply it (exact
// events with Ably's timestamps, short visits included), and, when history alone cannot be
// trusted, take a full snapshot and diff it against the history-built state (a reconcile).
//
// A channel reconciles on its first cycle (no state), after a restart, every `reconcile_every`
// cycles, after a failed or partial history read or a failed reconcile, and when its cursor is
// older than Ably's retention (kHistoryRetentionMs: what history held for the gap is gone).
// History is read up to now − kHistoryLagMs (messages become visible a little after their
// timestamp) and the cursor only moves when a read succeeded, so a failure is retried from the
// same place; re-reading what the state already reflects emits nothing (history_apply.h). A
// channel whose history read and reconcile both failed produces nothing: no false leaves.
//
// Thread-safety: RunHistoryCycle calls `consume` from fetch threads, concurrently for different
// channels; everything else is pure.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ably/presence_source.h"
#include "config/config.h"
#include "presence/channel_delta.h"
#include "presence/channel_state.h"
#include "presence/client_events.h"
#include "presence/event.h"

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
// Returns the track after a cycle that carried out `plan` with these outcomes; `removed` are
// the members its reconcile at `now_ms` removed (tombstones from then on).
HistoryTrack AdvanceHistoryTrack(const HistoryTrack& track, const HistoryPlan& plan,
                                 bool history_ok, bool snapshot_ok,
                                 const ChannelState& removed = ChannelState{}, int64_t now_ms = 0);

// One channel as the cycle starts (read only while it runs).
struct HistoryChannelInput {
  const ChannelState* state = nullptr;  // null before its first snapshot
  HistoryTrack track;
  bool first_snapshot_present = false;  // initial_snapshot: present applies to its first one
  bool announce = false;                // first snapshot diffed against an empty set
};

// A channel's changes in one cycle: history events, then what the reconcile corrected.
struct ChannelChange {
  std::vector<Event> events;
  ChannelDelta delta;  // Apply(state, delta) is the state after the cycle (from empty if none)
  ClientChanges clients;
};

struct HistoryCycleResult {
  std::vector<HistoryTrack> tracks;        // per channel, to adopt once committed
  std::map<Action, uint64_t> corrections;  // reconcile events of channels with a state
};

// Runs the history and snapshot reads of one cycle and calls `consume(index, change)` once for
// every channel that read something successfully (not for failed ones).
HistoryCycleResult RunHistoryCycle(
    PresenceSource& source, const std::vector<std::string>& channels,
    const std::vector<HistoryChannelInput>& inputs, const PresenceConfig& config, int64_t now_ms,
    const std::atomic<bool>& cancel,
    const std::function<void(size_t index, ChannelChange change)>& consume);

}  // namespace presenced
