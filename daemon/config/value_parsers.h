#pragma once

// Parsers for the string values of the config file that are more than a string: durations, URLs,
// listen addresses, Ably keys, header names. Pure functions; nullopt/false means malformed.
// ParseDuration and ParseSize are public (config_loader.h); the rest is internal to the module.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace presenced::config_internal {

// Formats a duration with the largest unit that divides it exactly: 60000ms → "1m", 1500ms →
// "1500ms", 0 → "0s".
std::string FormatDuration(Duration duration);

struct ListenAddress {
  std::string host;  // without brackets: "::1"
  uint16_t port = 0;
};
// Parses "host:port" or "[ipv6]:port" (port 0..65535). An empty host (":9847") means 0.0.0.0.
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

// Returns the URL if it is an absolute http:// or https:// URL with a host (and a valid port if
// any) and no user info. `base_only` also rejects a query and a fragment, and strips trailing
// slashes.
std::optional<std::string> NormalizeHttpUrl(std::string_view text, bool base_only);

// True when the URL's authority has user info (`user:password@host`).
bool HasUserInfo(std::string_view url);

// Returns only the scheme, host and port of a URL ("https://hooks.slack.com"), for summaries and
// the status page: user info, query and fragment may hold credentials, and so may the path
// (Slack, Discord and Zapier put the token there).
std::string RedactUrl(std::string_view url);

// Returns an HTTP proxy URL as "http://[user:password@]host[:port]" when `text` is one
// ("http://host:port", "host:port"; a trailing slash is allowed, no other path); nullopt
// otherwise (https:// and socks proxies are not supported).
std::optional<std::string> NormalizeProxyUrl(std::string_view text);

// True for an http:// (not https://) URL whose host is not a loopback address (localhost,
// 127.0.0.0/8, ::1): credentials sent there would cross the network in clear text.
bool IsPlainHttpToRemoteHost(std::string_view url);

// True for a channel name Ably accepts: not empty, not starting with `[` (channel qualifiers
// such as [meta] or [?rewind=1]) or `:`.
bool IsAblyChannelName(std::string_view name);

// True for a host name or IP address usable as a fallback host (no scheme, path or spaces).
bool IsHostName(std::string_view text);

// True for "appId.keyId:secret" (the shape of an Ably API key).
bool IsAblyKey(std::string_view text);

// True for an RFC 9110 header field name (a token).
bool IsHeaderName(std::string_view text);
// True for a header value without control characters other than tab.
bool IsHeaderValue(std::string_view text);

// True for a webhook name: [a-z0-9_-]+.
bool IsWebhookName(std::string_view text);

}  // namespace presenced::config_internal
