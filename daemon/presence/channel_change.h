#pragma once

// ChannelChange: what one cycle changed in one channel, whichever way it was derived (a
// snapshot diff, history, or both): the events in order, the delta to the stored state, and
// the clientIds that came online or went offline.

#include <vector>

#include "presence/channel_delta.h"
#include "presence/client_events.h"
#include "presence/event.h"

namespace presenced {

// A channel's changes in one cycle (in history mode: history events, then what the reconcile
// corrected).
struct ChannelChange {
  std::vector<Event> events;
  ChannelDelta delta;  // Apply(state, delta) is the state after the cycle (from empty if none)
  ClientChanges clients;
};

}  // namespace presenced
