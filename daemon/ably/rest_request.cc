#include "ably/rest_request.h"

#include <strings.h>

#include <array>

#include "common/version.h"
#include "net/url.h"

namespace presenced {
namespace {

// Separator candidates, in order of preference; any other printable character is tried after.
constexpr std::string_view kPreferredSeparators = "|;~^!*+$@";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool AnyNameContains(const std::vector<std::string>& names, char c) {
  for (const std::string& name : names) {
    if (name.find(c) != std::string::npos) return true;
  }
  return false;
}

std::optional<char> PickSeparator(const std::vector<std::string>& names) {
  for (char c : kPreferredSeparators) {
    if (!AnyNameContains(names, c)) return c;
  }
  for (char c = '!'; c <= '~'; ++c) {
    if (c != ',' && !AnyNameContains(names, c)) return c;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when a link's parameters (`; rel="next"` …) include the relation "next".
bool HasRelNext(std::string_view params) {
  size_t pos = 0;
  while ((pos = params.find("rel=", pos)) != std::string_view::npos) {
    pos += 4;
    std::string_view value = params.substr(pos);
    const bool quoted = !value.empty() && value.front() == '"';
    if (quoted) value.remove_prefix(1);
    value = value.substr(0, value.find_first_of(quoted ? "\"" : ";,"));
    // rel may hold several space-separated relations.
    size_t start = 0;
    while (start <= value.size()) {
      const size_t end = std::min(value.find(' ', start), value.size());
      if (Trim(value.substr(start, end - start)) == "next") return true;
      start = end + 1;
    }
  }
  return false;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

std::optional<std::string> BatchPresenceQuery(const std::vector<std::string>& channels) {
  char separator = ',';
  if (AnyNameContains(channels, ',')) {
    std::optional<char> picked = PickSeparator(channels);
    if (!picked) return std::nullopt;
    separator = *picked;
  }
  std::string joined;
  for (size_t i = 0; i < channels.size(); ++i) {
    if (i > 0) joined.push_back(separator);
    joined += channels[i];
  }
  std::string query = "channels=" + PercentEncode(joined);
  if (separator != ',') query += "&separator=" + PercentEncode(std::string_view(&separator, 1));
  return query;
}

Headers AblyRequestHeaders() {
  return {
      {"Accept", "application/json"},
      {"X-Ably-Version", "3"},
      {"Ably-Agent", std::string("presenced/") + kVersion},
  };
}

std::string NextLink(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (strcasecmp(name.c_str(), "Link") != 0) continue;
    std::string_view rest = value;
    while (true) {
      const size_t open = rest.find('<');
      if (open == std::string_view::npos) break;
      const size_t close = rest.find('>', open);
      if (close == std::string_view::npos) break;
      const std::string_view url = rest.substr(open + 1, close - open - 1);
      rest = rest.substr(close + 1);
      const std::string_view params = rest.substr(0, rest.find('<'));
      if (HasRelNext(params)) return std::string(Trim(url));
    }
  }
  return "";
}

std::string ResolveTarget(const std::string& current, const std::string& reference) {
  Url base{"http", "h", 80, current};
  Result<Url> resolved = ParseUrl(ResolveReference(base, reference));
  return resolved.ok() ? resolved->target : reference;
}

namespace {

std::string PathOf(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

// A server's link as logs show it: at most 200 bytes of it.
std::string Shown(const std::string& link) {
  return link.size() <= 200 ? link : link.substr(0, 200) + "…";
}

}  // namespace

PageWalk::PageWalk(std::string first, int max_pages, uint64_t max_bytes, bool stay_on_resource)
    : max_pages_(max_pages), max_bytes_(max_bytes), stay_on_resource_(stay_on_resource) {
  Restart(std::move(first));
}

void PageWalk::Restart(std::string first) {
  first_path_ = PathOf(first);
  target_ = std::move(first);
  pages_ = 0;
  bytes_ = 0;
  seen_ = {target_};
}

Result<bool> PageWalk::Next(const HttpResponse& response, bool may_repeat) {
  ++pages_;
  bytes_ += response.body.size();
  const std::string link = NextLink(response.headers);
  if (link.empty()) return false;
  // Ably's links are relative to the request ("./history?…", "/channels/…?…"). An absolute URL,
  // a path with "." or ".." segments, another path: none is the resource this read asked for.
  const std::string next = ResolveTarget(target_, link);
  if (stay_on_resource_ && (link.find("://") != std::string::npos || link.starts_with("//") ||
                            PathOf(next) != first_path_)) {
    return Error{"its next link leaves the resource read (" + Shown(link) + ")"};
  }
  if (!seen_.insert(next).second && !may_repeat) {
    return Error{"its next link repeats a page already read (" + Shown(link) + ")"};
  }
  if (pages_ >= max_pages_) {
    return Error{"more than " + std::to_string(max_pages_) + " pages in one read"};
  }
  if (bytes_ > max_bytes_) {
    return Error{"more than " + std::to_string(max_bytes_ >> 20) + " MiB in one read"};
  }
  target_ = next;
  return true;
}

}  // namespace presenced
