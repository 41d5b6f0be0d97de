#include "delivery/router.h"

#include <algorithm>

namespace presenced {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice, no recursion.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool MatchesAnyGlob(const std::vector<std::string>& globs, std::string_view channel) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return GlobMatch(glob, channel); });
}

std::vector<std::string> SyncTargets(const std::vector<SinkRoute>& sinks,
                                     const std::set<std::string>& due, std::string_view channel) {
  std::vector<std::string> targets;
  for (const SinkRoute& sink : sinks) {
    if (due.contains(sink.name) && MatchesAnyGlob(sink.channels, channel)) {
      targets.push_back(sink.name);
    }
  }
  return targets;
}

namespace {

bool Accepts(const SinkRoute& sink, const Event& event) {
  if (std::find(sink.actions.begin(), sink.actions.end(), event.action) == sink.actions.end()) {
    return false;
  }
  return MatchesAnyGlob(sink.channels, event.channel);
}

}  // namespace

std::vector<StateStore::OutboxEntry> RouteToSinks(const std::vector<SinkRoute>& sinks,
                                                  const std::vector<Event>& events) {
  std::vector<StateStore::OutboxEntry> entries;
  for (const Event& event : events) {
    for (const SinkRoute& sink : sinks) {
      if (Accepts(sink, event)) entries.push_back({sink.name, event});
    }
  }
  return entries;
}

StateStore::RoutedEvents RouteEvents(const std::vector<SinkRoute>& sinks,
                                     const std::vector<PackedEvents>& chunks) {
  StateStore::RoutedEvents routed;
  if (sinks.empty()) return routed;
  for (const SinkRoute& sink : sinks) routed.sinks.push_back(sink.name);
  uint32_t position = 0;  // a cycle of 4 G events would be beyond memory long before
  for (const PackedEvents& events : chunks) {
    routed.chunks.push_back(&events);
    events.ForEach([&](const Event& event) {
      for (size_t s = 0; s < sinks.size(); ++s) {
        if (Accepts(sinks[s], event)) routed.routes.push_back({position, static_cast<uint32_t>(s)});
      }
      ++position;
    });
  }
  return routed;
}

std::vector<StateStore::OutboxEntry> Route(const std::vector<WebhookConfig>& webhooks,
                                           const std::vector<Event>& events) {
  Config config;
  config.webhooks = webhooks;
  return RouteToSinks(SinkRoutes(config), events);
}

}  // namespace presenced
