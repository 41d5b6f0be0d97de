#pragma once

// ApplyHistory: applies one channel's presence history messages, oldest first, to its state and
// returns the member events and the change (CONTRACT §1 "Presence history", §4). A pure function:
// no I/O, clock, logging or metrics; the caller supplies the time.
//
// Rules, per member (client_id, connection_id), in message order:
//  - enter, present or update of an absent member: `enter` with the message's id, data, encoding
//    and timestamp;
//  - the same of a present member: `update` when data or encoding changed (or, with
//    UpdateOn::kAny, the id), nothing when identical, so re-reading history the state already
//    reflects emits nothing; the stored member takes the message's id and timestamp either way;
//  - leave (or absent) of a present member: `leave` whose memberId, data and encoding are the
//    member's last known ones and whose timestamp is Ably's leave timestamp, so the event id is
//    the one the snapshot path gives for the same change; of an absent member: nothing;
//  - a message whose id is not newer than the member's current id (same connection, compared by
//    msgSerial then index, RTP2b2) is stale and ignored: a re-read never undoes a later change.
//    `tombstones` are members a reconcile removed: their last id seen and, as timestamp, the
//    time the reconcile saw them absent. Re-read history must not bring them back: their
//    messages up to that id or that time are ignored while they are absent.
// A short visit (enter then leave in one read) gives `enter` then `leave`. Events keep message
// order. The delta has the same shape Diff returns: Apply(before, delta) is the state after.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "presence/channel_delta.h"
#include "presence/channel_state.h"
#include "presence/event.h"
#include "presence/presence_message.h"
#include "presence/update_on.h"

namespace presenced {

struct HistoryApplyResult {
  std::vector<Event> events;
  ChannelDelta delta;
};

HistoryApplyResult ApplyHistory(std::string_view channel, const ChannelState& before,
                                const std::vector<PresenceMessage>& messages, UpdateOn update_on,
                                int64_t observed_at_ms,
                                const ChannelState& tombstones = ChannelState{});

// Returns the member of `state` with this key, if any (binary search).
std::optional<MemberView> FindMember(const ChannelState& state, std::string_view client_id,
                                     std::string_view connection_id);

// True when message id `candidate` is newer than `current` ("connectionId:msgSerial:index"):
// same connection and a larger (msgSerial, index). Ids that do not parse, or of different
// connections, cannot be ordered and count as newer; an equal id is not newer.
bool IsNewerMessageId(std::string_view candidate, std::string_view current);

}  // namespace presenced
