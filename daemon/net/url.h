#pragma once

// Url: the parts of an absolute http(s) URL that the HTTP client and the Ably client need. The
// request target (path and query) is kept exactly as written: it is never decoded and re-encoded,
// so percent-escapes such as %2F survive.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace presenced {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets for IPv6 literals
  uint16_t port = 0;   // explicit or the scheme's default
  std::string target;  // "/path?query" ("/" when the URL has no path)

  // Returns "scheme://host:port", the key of a connection pool.
  std::string Origin() const;
  // Returns "scheme://host[:port]" with the port only when it is not the scheme's default.
  std::string Authority() const;
};

// Parses an absolute http:// or https:// URL. Fails on other schemes, a missing host, a bad port
// or user info (credentials never travel in URLs).
Result<Url> ParseUrl(std::string_view url);

// Resolves a `Link` header URL against the URL it came with: absolute URLs are returned as they
// are, "/abs?x" replaces the target, "./rel?x" and "rel?x" replace the last path segment.
std::string ResolveReference(const Url& base, std::string_view reference);

}  // namespace presenced
