#include "web/status_text.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace presenced {
namespace {

// Returns the length of the UTF-8 sequence that starts with `lead` (1 for a stray byte, so that
// invalid input still advances).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string_view Escaped(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return {};
  }
}

}  // namespace

std::string CutMarker(size_t left_out) {
  return "\u2026[" + std::to_string(left_out) + " more bytes]";
}

Clipped Clip(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return {std::string(text), text.size()};
  size_t end = 0;
  while (end < text.size()) {
    const size_t next = end + SequenceLength(static_cast<unsigned char>(text[end]));
    if (next > max_bytes) break;
    end = next;
  }
  return {std::string(text.substr(0, end)), text.size()};
}

std::string Whole(const Clipped& text) {
  return text.cut() ? text.text + CutMarker(text.size - text.text.size()) : text.text;
}

std::string Cut(std::string_view text, size_t max_bytes) { return Whole(Clip(text, max_bytes)); }

std::string EscapeCut(const Clipped& clipped, size_t max_bytes) {
  const std::string_view text = clipped.text;
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 24);
  size_t at = 0;
  while (at < text.size()) {
    const size_t length =
        std::min(SequenceLength(static_cast<unsigned char>(text[at])), text.size() - at);
    const std::string_view escaped = length == 1 ? Escaped(text[at]) : std::string_view{};
    const std::string_view piece = escaped.empty() ? text.substr(at, length) : escaped;
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    at += length;
  }
  return at < clipped.size ? out + CutMarker(clipped.size - at) : out;
}

std::string EscapeCut(std::string_view text, size_t max_bytes) {
  return EscapeCut(Clipped{std::string(text), text.size()}, max_bytes);
}

std::string HtmlEscape(std::string_view text) { return EscapeCut(text, std::string::npos); }

std::string IsoTime(int64_t unix_ms) {
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm utc {};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string Span(int64_t ms) {
  const int64_t s = ms / 1000;
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string Ago(int64_t then_ms, int64_t now_ms) {
  if (then_ms == 0) return "never";
  return Span(now_ms > then_ms ? now_ms - then_ms : 0) + " ago";
}

std::string OneDecimal(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", seconds);
  return buf;
}

}  // namespace presenced
