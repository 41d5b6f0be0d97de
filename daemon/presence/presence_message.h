#pragma once

// PresenceMessage: one message of a channel's presence history (CONTRACT §1 "Presence history"):
// Ably's action and the member fields it carries (`id` is the message's own id).

#include <cstdint>

#include "presence/member.h"

namespace presenced {

// Ably's presence actions (TP2).
enum class MessageAction : uint8_t {
  kAbsent = 0,
  kPresent = 1,
  kEnter = 2,
  kLeave = 3,
  kUpdate = 4
};

struct PresenceMessage {
  MessageAction action = MessageAction::kPresent;
  Member member;
};

}  // namespace presenced
