#pragma once

// Client events: per-clientId presence on top of the per-connection member events (CONTRACT §4,
// `presence.client_events`). `online` follows the event that gave a clientId its first
// connection in a channel, `offline` the event that took its last one away. Pure functions.
//
// Two ways to count, because the two sources mean different things by the order of their events:
//  - kNet (snapshots): a cycle's events are all "since the last snapshot", grouped leaves first;
//    only the net change of the clientId's connections over the cycle counts. A user whose old
//    connection left and new one entered between two snapshots, or who closed one tab of two,
//    stays online: no online/offline noise.
//  - kSequential (presence history): events are in the order they happened, so a clientId whose
//    last connection left before its next one entered really was offline in between.

#include <string>
#include <vector>

#include "presence/channel_state.h"
#include "presence/event.h"

namespace presenced {

enum class ClientCounting { kNet, kSequential };

struct ClientChanges {
  std::vector<std::string> online;   // clientIds that now have a connection and had none
  std::vector<std::string> offline;  // clientIds that had a connection and now have none
};

// Returns the clientIds whose presence in the channel changed with `events` (member events of
// one channel, in order, from the state `before`; null = no member before). When `emit`, also
// inserts the `online`/`offline` events into `events`, each right after the member event that
// caused it (its connectionId, memberId and timestamp; `offline` of a leave has the leave's
// timestamp). Other actions (update, sync, online, offline) are ignored.
ClientChanges AddClientEvents(const ChannelState* before, std::vector<Event>& events,
                              ClientCounting counting, bool emit);

}  // namespace presenced
