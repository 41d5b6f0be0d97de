#include "delivery/retry_policy.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace presenced {

Duration NextBackoff(const WebhookConfig& webhook, int64_t failures,
                     std::optional<Duration> retry_after, const UniformRandom& random) {
  const int64_t initial = std::max<int64_t>(webhook.retry_initial_backoff.count(), 0);
  const int64_t cap = std::max<int64_t>(webhook.retry_max_backoff.count(), 0);
  // Doubling stops at the cap; the shift bound keeps the arithmetic far from overflow.
  int64_t ceiling = initial;
  for (int64_t i = 1; i < failures && ceiling < cap && i < 62; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  double u = random();
  u = std::clamp(u, 0.0, 1.0);
  auto delay = Duration(static_cast<int64_t>(u * static_cast<double>(ceiling)));
  if (retry_after && *retry_after > delay) delay = *retry_after;
  return delay;
}

std::optional<Duration> ParseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return Duration(std::min<int64_t>(seconds, int64_t{1} << 40) * 1000);
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
    return Duration(std::max<int64_t>(at_ms - now_ms, 0));
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::optional<Duration> BatchDueIn(const WebhookConfig& webhook, size_t pending,
                                   int64_t oldest_created_ms, int64_t now_ms) {
  if (pending == 0) return std::nullopt;
  if (pending >= static_cast<size_t>(std::max(webhook.batch_max_events, 1))) return Duration(0);
  const int64_t due_ms = oldest_created_ms + webhook.batch_max_delay.count();
  return Duration(std::max<int64_t>(due_ms - now_ms, 0));
}

bool ShouldGiveUp(const WebhookConfig& webhook, int64_t first_attempt_ms, int64_t now_ms) {
  return now_ms - first_attempt_ms >= webhook.retry_give_up_after.count();
}

}  // namespace presenced
