#pragma once

// Event: one member change, the unit presenced emits (CONTRACT §4). Plain data plus the pure
// helpers that name, identify and serialise it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced {

// Values 1–4 are Ably's presence actions (TP2), used as-is in the `ably` webhook format. The others
// are presenced's own: `online`/`offline` per clientId (presence.client_events), `sync` (the
// whole member set of a channel) and `occupied`/`vacated` per channel (presence.channel_events);
// Ably has no number for them.
enum class Action : uint8_t {
  kPresent = 1,
  kEnter = 2,
  kLeave = 3,
  kUpdate = 4,
  kOnline = 5,
  kOffline = 6,
  kSync = 7,
  kOccupied = 8,
  kVacated = 9,
};

// Returns true for the actions Ably itself has (present, enter, leave, update).
inline bool IsAblyAction(Action action) {
  return static_cast<uint8_t>(action) >= 1 && static_cast<uint8_t>(action) <= 4;
}

// Returns true for `occupied` and `vacated`: events about the channel, without member fields.
inline bool IsChannelAction(Action action) {
  return action == Action::kOccupied || action == Action::kVacated;
}

// Returns "present", "enter", "leave", "update", "online", "offline", "sync", "occupied" or
// "vacated".
// +1 for an action that adds a member (present, enter), -1 for one that removes one (leave), 0
// otherwise: how a member event moves a channel's member count or a client's connection count.
inline int MemberCountChange(Action action) {
  switch (action) {
    case Action::kPresent:
    case Action::kEnter:
      return 1;
    case Action::kLeave:
      return -1;
    default:
      return 0;
  }
}

std::string_view ActionName(Action action);
// Parses an action name as written in the config; nullopt for anything else.
std::optional<Action> ParseActionName(std::string_view name);

struct Event {
  std::string id;  // EventId(channel, client_id, connection_id, action, member_id)
  std::string channel;
  Action action = Action::kEnter;
  std::string client_id;
  std::string connection_id;
  std::string member_id;  // Ably message id behind the event (for leave: the last one seen)
  std::string data;       // raw JSON text ("" = absent, omitted from JSON)
  std::string encoding;   // "" = absent, omitted from JSON
  int64_t timestamp = 0;  // Ably's timestamp (for leave: when the absence was observed)
  int64_t observed_at = 0;
  // `sync` only: the channel's whole member set, as ChannelState::Encode() bytes (client_id,
  // connection_id, member_id, data and encoding are empty then).
  std::string members;
};

// Returns the deterministic event id: 32 lowercase hex characters of SHA-256 over the
// length-prefixed fields. Same inputs, same id, on every run and every replica.
std::string EventId(std::string_view channel, std::string_view client_id,
                    std::string_view connection_id, Action action, std::string_view member_id);

// Returns the event with these fields and its id (EventId); the one way Diff, ApplyHistory and
// the client events build one.
Event MakeEvent(std::string_view channel, Action action, std::string_view client_id,
                std::string_view connection_id, std::string_view member_id, std::string_view data,
                std::string_view encoding, int64_t timestamp, int64_t observed_at_ms);

// Returns the `occupied` or `vacated` event (`action`) that `cause`, a member event of its channel,
// brought about: the channel and the cause's timestamps, no member fields. Its id hashes the
// cause's member (EventId with this action), so it is as deterministic as the cause and differs
// each time the channel is occupied again.
Event ChannelEvent(const Event& cause, Action action);

// Returns the `sync` event of `channel` for webhook `webhook`: the member set `members`
// (ChannelState::Encode() bytes) as observed at `observed_at_ms`. Its id hashes the channel, the
// webhook and that time: stable across retries, new for every sync.
Event SyncEvent(std::string_view webhook, std::string_view channel, std::string members,
                int64_t observed_at_ms);

// Serialises an event as the one-line JSON object of CONTRACT §4 (no trailing newline); a `sync`
// event as {"id","channel","action":"sync","members":[…],"observedAt"}; `occupied`/`vacated` as
// {"id","channel","action","timestamp","observedAt"}.
std::string EventToJson(const Event& event);

// Appends `s` to `out` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace presenced
