#pragma once

// Plain data shared by the fake's parts: its options, what it records per request, and the
// transport-neutral request/response pair its handlers work on (no Poco types here).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace presenced::testing {

struct FakeAblyOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see FakeAblyServer::Start()
  // "appId.keyId:secret". When key and token are both empty, no authentication is required.
  std::string key;
  std::string token;  // accepted as `Authorization: Bearer base64(token)`
  // The key's capability, in Ably's JSON form (capability.h); `token` and requests without
  // credentials (when key and token are empty) have it too. The default is what presenced
  // needs: presence sets, presence history and enumeration.
  std::string capability = R"({"*":["subscribe","history","channel-metadata"]})";
  size_t max_channels = 100;  // per batch presence request; more → HTTP 400, code 90010
  size_t max_recorded_requests = 10000;  // older records are dropped (the count keeps going)
};

// One Ably API request as the fake saw it (control requests under /_fake/ are not recorded).
struct RecordedRequest {
  std::string method;
  std::string path;                   // as sent, without the query
  std::string query;                  // raw, as sent
  std::vector<std::string> channels;  // decoded and split, for GET /presence
  std::string ably_version;           // X-Ably-Version, "" when absent
  std::string ably_agent;             // Ably-Agent, "" when absent
  bool has_authorization = false;
  std::string auth_scheme;  // "Basic", "Bearer", … (never the credentials)
  std::string host;         // the Host header (tells a fallback host from the primary)
  int64_t received_at_ms = 0;
};

struct FakeRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Returns the first header called `name` (case-insensitive), "" if absent.
  std::string Header(const std::string& name) const;
};

struct FakeResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Announce the full Content-Length, send only the first half of the body, then close.
  bool truncate = false;
  // Like truncate, but the connection is reset (RST, ECONNRESET at the client) instead of closed.
  bool reset = false;
};

}  // namespace presenced::testing
