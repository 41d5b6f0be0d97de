#pragma once

// Capability: what a key or token may do, as Ably checks it (ably/docs `auth/capabilities.mdx`,
// copied in /work/notes/ably-research.md §1):
//  - a capability is a JSON object from resources to lists of operations,
//    `{"*":["subscribe","history","channel-metadata"]}`; the operation `*` is every operation;
//  - resource wildcards replace whole `:`-separated segments: `*` alone matches any channel but
//    no metachannel or queue (names starting with `[`); `ns:*` matches `ns:a` and `ns:a:b` (a
//    final `*` takes one or more segments); `foo:*:baz` matches `foo:bar:baz` only; `foo*`
//    without a colon matches only the channel literally called `foo*`; `[*]*` matches everything;
//  - `subscribe` gets a channel's presence set (batch or per channel), `history` its presence
//    history, `presence` only enters/updates/leaves (so it lets presenced read nothing);
//    `channel-metadata` enumerates channels only when granted on the resource `*` itself;
//  - a token's capability is the intersection of what was requested and what its key has.
// Pure value type.

#include <map>
#include <optional>
#include <set>
#include <string>

namespace presenced::testing {

class Capability {
 public:
  // Parses Ably's JSON form; nullopt when it is not an object of string lists.
  static std::optional<Capability> Parse(const std::string& json);

  // True when `operation` is granted on channel `channel` by some resource matching it.
  bool Allows(const std::string& channel, const std::string& operation) const;
  // True when `operation` is granted on the resource `*` (or `[*]*`) itself: what enumeration
  // asks of `channel-metadata`.
  bool AllowsOnWildcard(const std::string& operation) const;
  // Returns what a token requesting `requested` from a key with this capability gets: each
  // requested (resource, operation) the key grants on that resource; `*` operations become the
  // key's operations there. Empty when nothing intersects.
  Capability Intersect(const Capability& requested) const;
  bool empty() const { return grants_.empty(); }
  // Returns the canonical JSON (resources and operations sorted, no white space).
  std::string Json() const;

 private:
  std::map<std::string, std::set<std::string>> grants_;
};

// True when the capability resource `pattern` matches channel `channel` (rules above).
bool ResourceMatches(const std::string& pattern, const std::string& channel);

}  // namespace presenced::testing
