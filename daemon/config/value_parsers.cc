#include "config/value_parsers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "common/ascii.h"
#include "config/config_loader.h"

namespace presenced {
namespace {

// Splits "<digits><suffix>" and parses the digits; nullopt when there are none or they overflow.
std::optional<std::pair<uint64_t, std::string_view>> SplitNumber(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;
  return std::make_pair(value, text.substr(digits));
}

std::optional<uint64_t> Scale(uint64_t value, uint64_t factor, uint64_t limit) {
  if (value > limit / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 4> kUnits{
      {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};
  for (const auto& [unit, factor] : kUnits) {
    if (split->second != unit) continue;
    auto ms = Scale(split->first, factor, std::numeric_limits<Duration::rep>::max());
    if (!ms) return std::nullopt;
    return Duration(static_cast<Duration::rep>(*ms));
  }
  return std::nullopt;
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 4> kUnits{
      {{"", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}}};
  for (const auto& [unit, factor] : kUnits) {
    if (split->second == unit) {
      return Scale(split->first, factor, std::numeric_limits<uint64_t>::max());
    }
  }
  return std::nullopt;
}

namespace config_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsControlOrSpace(char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }

std::optional<uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), IsDigit)) return std::nullopt;
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// Checks "host[:port]" where host is a name, an IPv4 address or a bracketed IPv6 address.
bool IsAuthority(std::string_view authority) {
  std::optional<std::string_view> port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view host = authority.substr(1, close - 1);
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return IsDigit(c) || c == ':' || c == '.' || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F');
        })) {
      return false;
    }
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    size_t colon = authority.find(':');
    if (!IsHostName(authority.substr(0, colon))) return false;
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (!port) return true;
  auto value = ParsePort(*port);
  return value.has_value() && *value != 0;
}

}  // namespace

std::string FormatDuration(Duration duration) {
  const int64_t ms = duration.count();
  if (ms == 0) return "0s";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress address;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    address.host = std::string(text.substr(1, close - 1));
    if (address.host.find(':') == std::string::npos) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
      return std::nullopt;  // no port, or an IPv6 address without brackets
    }
    address.host = colon == 0 ? "0.0.0.0" : std::string(text.substr(0, colon));
    if (!IsHostName(address.host)) return std::nullopt;
    port = text.substr(colon + 1);
  }
  auto value = ParsePort(port);
  if (!value) return std::nullopt;
  address.port = *value;
  return address;
}

std::optional<std::string> NormalizeHttpUrl(std::string_view text, bool base_only) {
  if (std::any_of(text.begin(), text.end(), IsControlOrSpace)) return std::nullopt;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string scheme = AsciiLower(text.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(scheme_end + 3);
  size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  std::string_view authority = rest.substr(0, authority_end);
  if (!IsAuthority(authority)) return std::nullopt;  // user info ('@') included
  std::string url(text);
  if (base_only) {
    if (url.find_first_of("?#") != std::string::npos) return std::nullopt;
    while (url.size() > scheme_end + 3 + authority_end && url.back() == '/') url.pop_back();
  }
  return url;
}

std::string RedactUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "(not a URL)";
  const size_t authority_start = scheme_end + 3;
  std::string_view authority = url.substr(authority_start);
  authority = authority.substr(0, std::min(authority.find_first_of("/?#"), authority.size()));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  return std::string(url.substr(0, authority_start)) + std::string(authority);
}

std::optional<std::string> NormalizeProxyUrl(std::string_view text) {
  if (text.empty() || std::any_of(text.begin(), text.end(), IsControlOrSpace)) return std::nullopt;
  std::string_view rest = text;
  if (const size_t scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    if (AsciiLower(text.substr(0, scheme_end)) != "http") return std::nullopt;
    rest = text.substr(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) return std::nullopt;
  const size_t at = rest.rfind('@');
  const std::string_view authority = at == std::string_view::npos ? rest : rest.substr(at + 1);
  if (!IsAuthority(authority)) return std::nullopt;
  return "http://" + std::string(rest);
}

bool IsPlainHttpToRemoteHost(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (url.size() < kHttp.size()) return false;
  std::string scheme(url.substr(0, kHttp.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != kHttp) return false;
  std::string_view authority = url.substr(kHttp.size());
  authority = authority.substr(0, std::min(authority.find_first_of("/?#"), authority.size()));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  const bool ipv4_loopback = lower.starts_with("127.") &&
                             std::all_of(lower.begin(), lower.end(),
                                         [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  const bool loopback =
      lower == "localhost" || lower.ends_with(".localhost") || ipv4_loopback || lower == "::1";
  return !loopback;
}

bool IsAblyChannelName(std::string_view name) {
  return !name.empty() && name.front() != '[' && name.front() != ':';
}

bool HasUserInfo(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view rest = url.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#")).find('@') != std::string_view::npos;
}

bool IsHostName(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsAlnum(c) || c == '.' || c == '-' || c == '_';
  });
}

bool IsAblyKey(std::string_view text) {
  size_t dot = text.find('.');
  size_t colon = text.find(':');
  if (dot == std::string_view::npos || colon == std::string_view::npos) return false;
  if (dot == 0 || colon <= dot + 1 || colon + 1 == text.size()) return false;
  auto name_char = [](char c) { return IsAlnum(c) || c == '-' || c == '_'; };
  std::string_view app = text.substr(0, dot);
  std::string_view key = text.substr(dot + 1, colon - dot - 1);
  std::string_view secret = text.substr(colon + 1);
  return std::all_of(app.begin(), app.end(), name_char) &&
         std::all_of(key.begin(), key.end(), name_char) &&
         std::none_of(secret.begin(), secret.end(), IsControlOrSpace);
}

bool IsHeaderName(std::string_view text) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsAlnum(c) || kTokenPunctuation.find(c) != std::string_view::npos;
  });
}

bool IsHeaderValue(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f;
  });
}

bool IsWebhookName(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
  });
}

}  // namespace config_internal
}  // namespace presenced
