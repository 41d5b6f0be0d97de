#pragma once

// Channel events: `occupied` when a channel goes from no members to at least one, `vacated` when
// its last member leaves (CONTRACT §4, `presence.channel_events`). Pure functions.
//
// The two ways to count are those of the client events (client_events.h), for the same reason:
//  - kNet (snapshots): only the channel's member count before and after the cycle matters. A
//    channel whose last member left while another entered between two snapshots was never seen
//    empty: no vacated/occupied pair.
//  - kSequential (presence history): events are in the order they happened, so a channel whose
//    only member left and came back within one cycle was empty in between: vacated, occupied.

#include <cstddef>
#include <vector>

#include "presence/client_events.h"
#include "presence/event.h"

namespace presenced {

// Inserts `occupied` after the event that took the channel from 0 members to at least one and
// `vacated` after the one that took it to 0, given `members_before` members before `events`
// (member events of one channel, in order; present/enter add a member, leave removes one, other
// actions count nothing). Each goes after its cause and the online/offline events that follow
// the cause, so a room empties after its last user went offline. Returns how many were inserted.
size_t AddChannelEvents(size_t members_before, std::vector<Event>& events, ClientCounting counting);

}  // namespace presenced
