#pragma once

// The per-channel work of one poll cycle in `presence.mode: history` (CONTRACT §1 "Presence
// history", §3): read each channel's presence history since its cursor and apply it (exact
// events with Ably's timestamps, short visits included), and take full snapshots: compared at
// once when history cannot help (a first snapshot, a gap past Ably's retention, a read that was
// not sent because its window had left the retention by then), or kept and compared once history
// has been read past them (a reconcile, presence/history_reconcile.h).
//
// Windows are on Ably's clock (`ably_now`: this host's clock plus the offset GET /time measured).
// What each channel reads is planned by presence/history_plan.h. Re-reading what the state
// already reflects emits nothing (history_apply.h). A channel whose read failed produces nothing:
// no false leaves; a channel with nothing planned this cycle has not failed (`idle`).
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
#include "presence/channel_change.h"
#include "presence/channel_state.h"
#include "presence/event.h"
#include "presence/history_plan.h"

namespace presenced {

// One channel as the cycle starts (read only while it runs).
struct HistoryChannelInput {
  const ChannelState* state = nullptr;  // null before its first snapshot
  HistoryTrack track;
  bool first_snapshot_present = false;  // initial_snapshot: present applies to its first one
  bool announce = false;                // first snapshot diffed against an empty set
};

struct HistoryCycleResult {
  std::vector<HistoryTrack> tracks;        // per channel, to adopt once committed
  std::map<Action, uint64_t> corrections;  // reconcile events of channels with a state
  std::vector<char> idle;                  // per channel: nothing was planned (not a failure)
  // Per channel, the error of its last failed read this cycle (code 0 and no message when none
  // failed): the status page's "last error" of a channel left stale.
  std::vector<AblyError> errors;
  size_t compared = 0;  // reconcile snapshots compared this cycle
};

// Runs the history and snapshot reads of one cycle and calls `consume(index, change)` once for
// every channel that read something successfully (not for failed or idle ones). `now_ms` is this
// host's time (events' observedAt); `ably_now` returns Ably's.
HistoryCycleResult RunHistoryCycle(
    PresenceSource& source, const std::vector<std::string>& channels,
    const std::vector<HistoryChannelInput>& inputs, const PresenceConfig& config, int64_t now_ms,
    const std::function<int64_t()>& ably_now, const std::atomic<bool>& cancel,
    const std::function<void(size_t index, ChannelChange change)>& consume);

}  // namespace presenced
