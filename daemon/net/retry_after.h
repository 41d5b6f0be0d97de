#pragma once

// Retry-After (RFC 9110 §10.2.3), read the same way for Ably's 429s and webhook receivers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace presenced {

// Parses a Retry-After header value: delay-seconds ("120") or an HTTP date, relative to
// `now_ms` (Unix ms). Returns nullopt when absent or unparsable; a date in the past is 0.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms);

}  // namespace presenced
