#pragma once

// Diff: turns one channel's previous state and its new snapshot into events and the next state
// (CONTRACT §4). A pure function: no I/O, clock, logging or metrics; the caller supplies the time.
//
// Semantics (members are keyed by (client_id, connection_id)):
//  - before == nullptr is the channel's first snapshot: a baseline, no events, unless
//    first_snapshot_present, then one `present` per member.
//  - a new key emits `enter`; a key in both emits `update` when data or encoding differ
//    (UpdateOn::kData), or also when the Ably message id differs (UpdateOn::kAny);
//  - a key missing from the snapshot has its miss count incremented and stays tracked; when the
//    count reaches leave_after_misses it emits `leave` (memberId, data and encoding as last seen,
//    timestamp = observed_at_ms) and is dropped. A member that reappears before that has its
//    count reset and emits no `enter` (an `update` if its data changed meanwhile).
//  - duplicate keys in one snapshot (Ably should not send them): the one with the latest
//    timestamp wins, then the bytewise-larger id.
// Event order within a channel: all leaves, then all enters, then all updates, each group in
// ascending key order. Leaves go first so that a client that reconnected (old connection gone,
// new one present) reads as leave-then-enter and ends up present for a per-clientId consumer.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "presence/channel_delta.h"
#include "presence/channel_state.h"
#include "presence/event.h"
#include "presence/member.h"
#include "presence/update_on.h"

namespace presenced {

struct DiffOptions {
  UpdateOn update_on = UpdateOn::kData;
  int leave_after_misses = 1;  // values below 1 act as 1
  bool first_snapshot_present = false;
  // False: DiffResult::next is left empty (the caller applies `delta` to `before` itself).
  bool build_next = true;
};

struct DiffResult {
  ChannelState next;  // the state to keep (empty unless DiffOptions::build_next)
  // What changed from `before` to `next`: Apply(before, delta) == next (from an empty state on a
  // first snapshot).
  ChannelDelta delta;
  std::vector<Event> events;
  // True when `next` differs from `before` in anything it stores (members, ids, data, timestamps,
  // miss counts), and always on a first snapshot, so the caller knows to persist it.
  bool changed = false;
};

// Returns the events between `before` and the snapshot `after`, and the state to keep.
DiffResult Diff(std::string_view channel, const ChannelState* before,
                const std::vector<Member>& after, const DiffOptions& options,
                int64_t observed_at_ms);

// Diff of a snapshot given as views (their `misses` is ignored), e.g. of a response body still
// being read: only what the result keeps is copied (into `next`, `delta` and the events), so the
// views need to be valid only during the call.
DiffResult DiffView(std::string_view channel, const ChannelState* before,
                    std::span<const MemberView> after, const DiffOptions& options,
                    int64_t observed_at_ms);

}  // namespace presenced
