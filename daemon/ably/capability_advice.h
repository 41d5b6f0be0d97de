#pragma once

// What a missing capability means and how to fix it (CONTRACT §1 "Capabilities"; ably/docs
// `auth/capabilities.mdx`): Ably answers 40160 (HTTP 401) when the key or token lacks the
// operation a request needs — `subscribe` for a channel's presence (batch or per channel; the
// `presence` capability only enters, updates and leaves), `history` for its presence history,
// `channel-metadata` on the resource `*` itself for enumeration. These texts replace Ably's
// generic message in a channel's error (the status page shows it) and in the log, where
// CapabilityNotices says it once per (operation, channel), not once per cycle.

#include <set>
#include <string>
#include <utility>

#include "ably/batch_parser.h"
#include "common/mutex.h"

namespace presenced {

enum class AblyOperation { kSubscribe, kHistory, kChannelMetadata };

// The capability's name as Ably spells it: "subscribe", "history", "channel-metadata".
const char* OperationName(AblyOperation operation);

// Returns the text of a 40160 for `operation` on `resource` (a channel name; for
// kChannelMetadata the discovery prefix that was enumerated): what is missing where, and the fix.
// Ably's own message follows in parentheses.
std::string CapabilityAdvice(AblyOperation operation, const std::string& resource,
                             const AblyError& error);

// Logs each (operation, resource) once. Thread-safe.
class CapabilityNotices {
 public:
  // Logs `text` at warning level unless this (operation, resource) was logged before.
  void Note(AblyOperation operation, const std::string& resource, const std::string& text);

 private:
  Mutex mu_;
  std::set<std::pair<int, std::string>> noted_ GUARDED_BY(mu_);
};

}  // namespace presenced
