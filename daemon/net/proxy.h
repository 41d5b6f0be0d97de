#pragma once

// Which HTTP proxy a request goes through, decided as curl decides it (and as the config resolved
// it from proxy.url or HTTPS_PROXY / HTTP_PROXY / NO_PROXY): one proxy for https:// URLs, one for
// http:// URLs, and a NO_PROXY list of hosts that go direct. https:// goes through the proxy in a
// CONNECT tunnel, so TLS stays end to end; http:// is sent to the proxy with the absolute URL.
// As with curl, loopback hosts go through the proxy too unless NO_PROXY lists them (localhost,
// 127.0.0.1). Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/url.h"

namespace presenced {

struct ProxySettings {
  std::string https_proxy;  // "http://[user:password@]host[:port]"; "" = direct
  std::string http_proxy;   // same, for http:// URLs
  // curl's NO_PROXY: comma-separated host names (each also matching its subdomains; a leading
  // dot is ignored), IP addresses, CIDR ranges (10.0.0.0/8, fd00::/8), or `*` for every host.
  std::string no_proxy;
  bool operator==(const ProxySettings&) const = default;
};

// Where to send a request instead of its origin; the user and password (percent-decoded) go in
// Proxy-Authorization: Basic.
struct ProxyRoute {
  std::string host;  // without brackets for an IPv6 literal
  uint16_t port = 1080;
  std::string username;
  std::string password;
};

// Parses "http://[user:password@]host[:port]" (the port defaults to 1080, as curl's). An Error
// never repeats the URL: it may hold a password.
Result<ProxyRoute> ParseProxyUrl(std::string_view url);

// True when `host` (a name or an IP literal, without brackets) matches the NO_PROXY list.
bool NoProxyMatches(std::string_view no_proxy, std::string_view host);

// Returns the proxy for a request to `target`, or nullopt to connect directly (no proxy for its
// scheme, a NO_PROXY match, or an unparsable proxy URL).
std::optional<ProxyRoute> ProxyFor(const ProxySettings& settings, const Url& target);

}  // namespace presenced
