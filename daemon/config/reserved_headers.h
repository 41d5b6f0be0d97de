#pragma once

// The request headers presenced sets on every webhook request. A configured `headers` entry may
// not name one (the config loader rejects it) and the worker never sends one from the config:
// they carry the body type, the signature and the signature's inputs. One list for both.

#include <string_view>

#include "common/ascii.h"

namespace presenced {

// True for Content-Type, User-Agent, X-Ably-Signature and every webhook-* header, in any case.
inline bool IsReservedWebhookHeader(std::string_view name) {
  const std::string lower = AsciiLower(name);
  return lower == "content-type" || lower == "user-agent" || lower == "x-ably-signature" ||
         lower.starts_with("webhook-");
}

}  // namespace presenced
