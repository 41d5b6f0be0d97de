#pragma once

// Routing: which sinks receive which events (CONTRACT §3 webhooks[] and kafka[] channels /
// actions). Pure functions, thread-safe.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "presence/event.h"
#include "state/state_store.h"

namespace presenced {

// Returns whether `text` matches the glob `pattern`: `*` matches any run of characters (also
// none, also `:`), `?` exactly one character; everything else matches itself.
bool GlobMatch(std::string_view pattern, std::string_view text);

// Returns whether `channel` matches one of `globs` (a sink's `channels` filter).
bool MatchesAnyGlob(const std::vector<std::string>& globs, std::string_view channel);

// Returns the sinks of `due` (names) that take a `sync` of `channel`: those whose globs match it,
// in the order of `sinks`.
std::vector<std::string> SyncTargets(const std::vector<SinkRoute>& sinks,
                                     const std::set<std::string>& due, std::string_view channel);

// Returns one OutboxEntry per (sink, event) pair whose channel matches one of the sink's globs
// and whose action is one of its actions. Events keep their order; for each event the entries
// follow the order of `sinks`.
std::vector<StateStore::OutboxEntry> RouteToSinks(const std::vector<SinkRoute>& sinks,
                                                  const std::vector<Event>& events);
// RouteToSinks by reference, over the events of `chunks` in order: the same entries, in the
// same order, as event positions in `chunks` (which must outlive the result and not change), so
// no event is copied per sink or unpacked to be held.
StateStore::RoutedEvents RouteEvents(const std::vector<SinkRoute>& sinks,
                                     const std::vector<PackedEvents>& chunks);
// RouteToSinks with `webhooks` as the only sinks.
std::vector<StateStore::OutboxEntry> Route(const std::vector<WebhookConfig>& webhooks,
                                           const std::vector<Event>& events);

}  // namespace presenced
