#include "net/retry_after.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace presenced {

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return std::chrono::milliseconds(std::min<int64_t>(seconds, int64_t{1} << 40) * 1000);
  }
  try {
    int tzd = 0;
    Poco::DateTime date;
    const std::string text(value);
    // HTTP-date: IMF-fixdate, or the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7).
    // Poco's parser accepts almost anything, so a parse only counts if it formats back to the
    // same text (HTTP dates are always GMT).
    bool parsed = false;
    for (const std::string& format :
         {Poco::DateTimeFormat::HTTP_FORMAT, Poco::DateTimeFormat::RFC850_FORMAT,
          Poco::DateTimeFormat::ASCTIME_FORMAT}) {
      if (Poco::DateTimeParser::tryParse(format, text, date, tzd) && tzd == 0 &&
          Poco::DateTimeFormatter::format(date, format) == text) {
        parsed = true;
        break;
      }
    }
    if (!parsed) return std::nullopt;
    date.makeUTC(tzd);
    const int64_t at_ms = date.timestamp().epochMicroseconds() / 1000;
    return std::chrono::milliseconds(std::max<int64_t>(at_ms - now_ms, 0));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace presenced
