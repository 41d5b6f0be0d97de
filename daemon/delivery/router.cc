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

std::vector<std::string> SyncTargets(const std::vector<WebhookConfig>& webhooks,
                                     const std::set<std::string>& due, std::string_view channel) {
  std::vector<std::string> targets;
  for (const WebhookConfig& webhook : webhooks) {
    if (due.contains(webhook.name) && MatchesAnyGlob(webhook.channels, channel)) {
      targets.push_back(webhook.name);
    }
  }
  return targets;
}

namespace {

bool Accepts(const WebhookConfig& webhook, const Event& event) {
  if (std::find(webhook.actions.begin(), webhook.actions.end(), event.action) ==
      webhook.actions.end()) {
    return false;
  }
  return MatchesAnyGlob(webhook.channels, event.channel);
}

}  // namespace

std::vector<StateStore::OutboxEntry> Route(const std::vector<WebhookConfig>& webhooks,
                                           const std::vector<Event>& events) {
  std::vector<StateStore::OutboxEntry> entries;
  for (const Event& event : events) {
    for (const WebhookConfig& webhook : webhooks) {
      if (Accepts(webhook, event)) entries.push_back({webhook.name, event});
    }
  }
  return entries;
}

}  // namespace presenced
