#pragma once

// Text helpers of the status page and JSON: bounded fields, HTML escaping, times. Any field the
// outside world controls (clientIds, connectionIds, data, channel names, error texts) goes through
// Cut or EscapeCut, so one answer stays bounded whatever Ably or a receiver sends.
//
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace presenced {

// The marker that ends a cut field: "…[N more bytes]" (N: the bytes left out).
std::string CutMarker(size_t left_out);

// Text as kept: at most a bound of its first bytes (whole UTF-8 characters) and the size of the
// whole, so that a later, shorter cut still says how much of the original is left out.
struct Clipped {
  std::string text;
  size_t size = 0;  // bytes of the original
  bool cut() const { return size > text.size(); }
};

// Returns the first bytes of `text` that fit in `max_bytes`, cut before a UTF-8 sequence that
// would cross it.
Clipped Clip(std::string_view text, size_t max_bytes);

// Returns the kept text, followed by CutMarker when it was cut.
std::string Whole(const Clipped& text);

// Returns `text` whole when it has at most `max_bytes` bytes; else its first bytes, cut before a
// UTF-8 sequence that would cross `max_bytes`, followed by CutMarker.
std::string Cut(std::string_view text, size_t max_bytes);

// Returns `text` HTML-escaped (& < > " '), whole when the escaped text has at most `max_bytes`
// bytes; else as much as fits in `max_bytes` followed by CutMarker, so the output is bounded
// however many characters need escaping.
std::string EscapeCut(std::string_view text, size_t max_bytes);
// The same for kept text: the marker counts the bytes left out of the original.
std::string EscapeCut(const Clipped& text, size_t max_bytes);

// Returns `text` HTML-escaped, whole (for text presenced itself wrote).
std::string HtmlEscape(std::string_view text);

// Returns "2026-11-01T12:00:05Z" for a Unix time in milliseconds (UTC).
std::string IsoTime(int64_t unix_ms);

// Returns "4.2s ago", "3m 10s ago", "2h 5m ago", "3d 4h ago"; "never" for 0.
std::string Ago(int64_t then_ms, int64_t now_ms);

// Returns a duration in words: "45s", "3m 10s", "2h 5m", "3d 4h".
std::string Span(int64_t ms);

// Returns `seconds` with one decimal ("2.5").
std::string OneDecimal(double seconds);

}  // namespace presenced
