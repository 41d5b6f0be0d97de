#include "fake_ably/ably_api.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "fake_ably/json_writer.h"

namespace presenced::testing {
namespace {

constexpr size_t kDefaultPageLimit = 100;
constexpr size_t kMaxPageLimit = 1000;
constexpr char kGarbageBody[] = "<html><body>502 Bad Gateway (injected garbage)</body></html>";

constexpr size_t kMaxUriBytes = 8 * 1024;  // Ably's edge refuses longer request URIs

std::string Base64Decode(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string out;
  try {
    std::getline(decoder, out, '\0');
  } catch (const Poco::Exception&) {
    return "";
  }
  return out;
}

// Returns the value of a top-level string or number field of a small JSON object, "" if absent
// (enough for the fake's requestToken; the fields are never escaped).
std::string JsonField(const std::string& body, const std::string& key) {
  const size_t at = body.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  size_t pos = body.find(':', at);
  if (pos == std::string::npos) return "";
  pos = body.find_first_not_of(" \t", pos + 1);
  if (pos == std::string::npos) return "";
  if (body[pos] == '"') return body.substr(pos + 1, body.find('"', pos + 1) - pos - 1);
  return body.substr(pos, body.find_first_of(",} ", pos) - pos);
}

std::string Base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

FakeResponse ErrorResponse(int code, int status, const std::string& message) {
  FakeResponse response;
  response.status = status;
  response.body = AblyErrorBody(code, status, message);
  return response;
}

size_t PageLimit(const QueryParams& params) {
  const auto text = FindParam(params, "limit");
  if (!text) return kDefaultPageLimit;
  const long value = std::strtol(text->c_str(), nullptr, 10);
  if (value <= 0) return kDefaultPageLimit;
  return std::min(static_cast<size_t>(value), kMaxPageLimit);
}

// X-Ably-Version 3 and later get the BatchResult shape; absent, "1.2" and "2" the legacy ones.
bool WantsV3(const FakeRequest& request) {
  const std::string version = request.Header("X-Ably-Version");
  return !version.empty() && std::strtod(version.c_str(), nullptr) >= 3.0;
}

constexpr int kCapabilityDenied = 40160;  // the credentials lack the operation (errors.json)
constexpr char kDeniedMessage[] = "Given credentials do not have the required capability";

Capability ParseKeyCapability(const std::string& json) {
  std::optional<Capability> parsed = Capability::Parse(json);
  if (!parsed) throw std::invalid_argument("fake_ably: not a capability: " + json);
  return *parsed;
}

// A whole-request 401/40160 naming what was missing, as Ably's messages do.
FakeResponse Denied(const std::string& what) {
  return ErrorResponse(kCapabilityDenied, 401, std::string(kDeniedMessage) + " (" + what + ")");
}

}  // namespace

AblyApi::AblyApi(FakeAblyState& state, FakeServiceRules& rules, const FakeAblyOptions& options,
                 const FakeAblyClock& clock)
    : state_(state),
      rules_(rules),
      clock_(clock),
      key_capability_(ParseKeyCapability(options.capability)),
      key_name_(options.key.substr(0, options.key.find(':'))),
      expected_basic_(options.key.empty() ? "" : "Basic " + Base64(options.key)),
      expected_bearer_(options.token.empty() ? "" : "Bearer " + Base64(options.token)) {}

std::vector<std::string> AblyApi::BatchChannels(const QueryParams& params) {
  const auto channels = FindParam(params, "channels");
  if (!channels) return {};
  const auto separator = FindParam(params, "separator");
  return SplitNonEmpty(*channels, separator && !separator->empty() ? *separator : ",");
}

FakeResponse AblyApi::Handle(const FakeRequest& request) {
  const QueryParams params = ParseQuery(request.query);
  std::vector<std::string> channels;
  if (request.path == "/presence") channels = BatchChannels(params);

  RecordedRequest record;
  record.method = request.method;
  record.path = request.path;
  record.query = request.query;
  record.channels = channels;
  record.ably_version = request.Header("X-Ably-Version");
  record.ably_agent = request.Header("Ably-Agent");
  const std::string authorization = request.Header("Authorization");
  record.has_authorization = !authorization.empty();
  record.auth_scheme = authorization.substr(0, authorization.find(' '));
  record.received_at_ms = clock_.NowMs();
  record.host = request.Header("Host");
  state_.Record(std::move(record));

  if (!state_.WaitDelay()) return ErrorResponse(50003, 503, "Fake Ably server is shutting down");
  if (request.path.size() + request.query.size() + 1 > kMaxUriBytes) {
    return ErrorResponse(40000, 414, "URI too long");
  }
  if (request.method == "GET" && request.path == "/time") {
    // RSC16: no credentials needed, not billed; Ably's time now.
    FakeResponse response;
    response.body = "[" + std::to_string(clock_.NowMs()) + "]";
    return response;
  }
  const bool token_request = request.method == "POST" && request.path.starts_with("/keys/") &&
                             request.path.ends_with("/requestToken");
  Capability capability;
  if (!token_request) {
    auto checked = CheckAuth(request);
    if (auto* refused = std::get_if<FakeResponse>(&checked)) return *refused;
    capability = std::get<Capability>(std::move(checked));
  }
  if (auto failure = state_.TakeFailure()) {
    FakeResponse response;
    response.status = failure->status;
    if (!failure->retry_after.empty()) {
      response.headers.emplace_back("Retry-After", failure->retry_after);
    }
    if (!failure->server.empty()) response.headers.emplace_back("Server", failure->server);
    if (failure->headers_only) {
      response.headers.emplace_back("X-Ably-ErrorCode", std::to_string(failure->code));
      response.headers.emplace_back("X-Ably-ErrorMessage", failure->message);
    } else {
      response.body = AblyErrorBody(failure->code, failure->status, failure->message);
    }
    return response;
  }

  FakeResponse response = Route(request, params, channels, capability);
  if (state_.TakeGarbage()) {
    response.status = 200;
    response.body = kGarbageBody;
    response.headers.clear();
  } else if (state_.TakeTruncate()) {
    response.truncate = true;
  } else if (rules_.TakeReset()) {
    response.reset = true;
  }
  return response;
}

FakeResponse AblyApi::HandleAuthUrl(const FakeRequest& request) {
  rules_.CountAuthRequest();
  const QueryParams params = ParseQuery(request.query);
  const std::string as = FindParam(params, "as").value_or("token");
  auto ttl = rules_.token_ttl();
  FakeResponse response;
  switch (rules_.auth_url_mode()) {
    case FakeServiceRules::AuthUrlMode::kNormal:
      break;
    case FakeServiceRules::AuthUrlMode::kFail:
      response.status = 500;
      response.content_type = "text/plain";
      response.body = "auth server error";
      return response;
    case FakeServiceRules::AuthUrlMode::kHang:
      rules_.WaitWhileHanging();
      response.status = 503;
      response.content_type = "text/plain";
      response.body = "auth server gave up";
      return response;
    case FakeServiceRules::AuthUrlMode::kExpired:
      ttl = std::chrono::milliseconds(-60'000);
      break;
    case FakeServiceRules::AuthUrlMode::kUnknown:
      // What a misconfigured auth server sends: a body taken as a token, unknown to Ably.
      response.content_type = "text/plain";
      response.body = "Unauthorized";
      return response;
  }
  const std::string capability = TokenCapabilityFor(FindParam(params, "capability").value_or(""));
  if (as == "request") {
    // A TokenRequest as an auth server signs it with the key (the fake checks only keyName).
    const int64_t now = clock_.NowMs();
    response.body = "{\"keyName\":";
    AppendJsonString(response.body, key_name_);
    response.body += ",\"ttl\":" + std::to_string(ttl.count()) + ",\"capability\":";
    AppendJsonString(response.body, capability.empty() ? "{\"*\":[\"*\"]}" : capability);
    response.body += ",\"timestamp\":" + std::to_string(now) + ",\"nonce\":\"n" +
                     std::to_string(now) + "\",\"mac\":\"fake-mac\"}";
    return response;
  }
  const std::string token = rules_.IssueToken(ttl, capability);
  if (as == "details") {
    response.body = "{\"token\":";
    AppendJsonString(response.body, token);
    response.body += ",\"keyName\":";
    AppendJsonString(response.body, key_name_);
    response.body += ",\"issued\":" + std::to_string(clock_.NowMs()) +
                     ",\"expires\":" + std::to_string(rules_.TokenExpiry(token)) +
                     ",\"capability\":";
    AppendJsonString(response.body, capability.empty() ? key_capability_.Json() : capability);
    response.body += "}";
    return response;
  }
  response.content_type = "text/plain";
  response.body = token;
  return response;
}

std::string AblyApi::TokenCapabilityFor(const std::string& requested) const {
  if (requested.empty()) return "";
  std::optional<Capability> wanted = Capability::Parse(requested);
  if (!wanted) return "{}";
  return key_capability_.Intersect(*wanted).Json();
}

FakeResponse AblyApi::RequestToken(const std::string& key_name, const std::string& body) {
  if (key_name != key_name_ || JsonField(body, "keyName") != key_name_ ||
      JsonField(body, "mac").empty()) {
    return ErrorResponse(40101, 401, "Invalid TokenRequest");
  }
  const std::string ttl_text = JsonField(body, "ttl");
  const auto ttl =
      ttl_text.empty() ? rules_.token_ttl() : std::chrono::milliseconds(std::stoll(ttl_text));
  // The capability is a JSON string inside the JSON body: read it with a real parser.
  std::string requested;
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    if (object->has("capability")) requested = object->getValue<std::string>("capability");
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  const std::string capability = TokenCapabilityFor(requested);
  if (capability == "{}") {
    // "The token request will fail if the intersection is empty" (capabilities.mdx).
    return Denied("the requested capability has nothing in common with the key's");
  }
  const std::string token = rules_.IssueToken(ttl, capability);
  FakeResponse response;
  response.body = "{\"token\":";
  AppendJsonString(response.body, token);
  response.body += ",\"keyName\":";
  AppendJsonString(response.body, key_name_);
  response.body += ",\"issued\":" + std::to_string(clock_.NowMs()) +
                   ",\"expires\":" + std::to_string(rules_.TokenExpiry(token)) + ",\"capability\":";
  AppendJsonString(response.body, capability.empty() ? key_capability_.Json() : capability);
  response.body += "}";
  return response;
}

std::variant<Capability, FakeResponse> AblyApi::CheckAuth(const FakeRequest& request) const {
  if (expected_basic_.empty() && expected_bearer_.empty()) return key_capability_;
  const std::string authorization = request.Header("Authorization");
  if (!authorization.empty() &&
      (authorization == expected_basic_ || authorization == expected_bearer_)) {
    return key_capability_;
  }
  if (authorization.starts_with("Bearer ")) {
    const std::string token = Base64Decode(authorization.substr(7));
    switch (rules_.CheckToken(token)) {
      case FakeServiceRules::TokenCheck::kValid: {
        const std::string json = rules_.TokenCapability(token);
        if (json.empty()) return key_capability_;
        return Capability::Parse(json).value_or(Capability{});
      }
      case FakeServiceRules::TokenCheck::kExpired:
        return ErrorResponse(40142, 401, "Token expired");
      case FakeServiceRules::TokenCheck::kUnknown:
        break;
    }
  }
  return ErrorResponse(40101, 401, "Invalid credentials");
}

FakeResponse AblyApi::Route(const FakeRequest& request, const QueryParams& params,
                            const std::vector<std::string>& channels,
                            const Capability& capability) {
  static constexpr std::string_view kChannelsPrefix = "/channels/";
  static constexpr std::string_view kPresenceSuffix = "/presence";
  static constexpr std::string_view kKeysPrefix = "/keys/";
  static constexpr std::string_view kRequestTokenSuffix = "/requestToken";
  if (request.method == "POST" && request.path.starts_with(kKeysPrefix) &&
      request.path.ends_with(kRequestTokenSuffix)) {
    const std::string_view encoded =
        std::string_view(request.path)
            .substr(kKeysPrefix.size(),
                    request.path.size() - kKeysPrefix.size() - kRequestTokenSuffix.size());
    return RequestToken(PercentDecode(encoded), request.body);
  }
  if (request.method != "GET") return ErrorResponse(40500, 405, "Method not allowed");
  if (request.path == "/presence") return BatchPresence(request, channels, capability);
  if (request.path == "/channels") {
    if (!capability.AllowsOnWildcard("channel-metadata")) {
      return ErrorResponse(kCapabilityDenied, 401,
                           "Listing channels requires the channel-metadata capability");
    }
    return Enumerate(params);
  }
  const std::string& path = request.path;
  static constexpr std::string_view kHistorySuffix = "/presence/history";
  if (path.size() > kChannelsPrefix.size() + kHistorySuffix.size() &&
      path.starts_with(kChannelsPrefix) && path.ends_with(kHistorySuffix)) {
    const std::string_view encoded = std::string_view(path).substr(
        kChannelsPrefix.size(), path.size() - kChannelsPrefix.size() - kHistorySuffix.size());
    const std::string channel = PercentDecode(encoded);
    if (!capability.Allows(channel, "history")) return Denied("history on " + channel);
    return ChannelHistory(channel, params);
  }
  if (path.size() > kChannelsPrefix.size() + kPresenceSuffix.size() &&
      path.starts_with(kChannelsPrefix) && path.ends_with(kPresenceSuffix)) {
    const std::string_view encoded = std::string_view(path).substr(
        kChannelsPrefix.size(), path.size() - kChannelsPrefix.size() - kPresenceSuffix.size());
    const std::string channel = PercentDecode(encoded);
    if (!capability.Allows(channel, "subscribe")) return Denied("subscribe on " + channel);
    return ChannelPresence(channel, params);
  }
  return ErrorResponse(40400, 404, "Not found");
}

FakeResponse AblyApi::BatchPresence(const FakeRequest& request,
                                    const std::vector<std::string>& channels,
                                    const Capability& capability) {
  if (channels.empty()) return ErrorResponse(40000, 400, "channels parameter is required");
  const size_t limit = state_.max_channels();
  if (channels.size() > limit) {
    return ErrorResponse(90010, 400,
                         "Too many channels in batch presence request (" +
                             std::to_string(channels.size()) + " > " + std::to_string(limit) + ")");
  }
  std::string items;
  items.reserve(channels.size() * 256);
  // Each channel needs `subscribe` (its presence set); a channel without it fails on its own.
  const size_t failures = state_.RenderBatchItems(channels, items, [&](const std::string& name) {
    return !capability.Allows(name, "subscribe");
  });

  FakeResponse response;
  if (WantsV3(request)) {
    response.body.reserve(items.size() + 64);
    response.body.append("{\"successCount\":").append(std::to_string(channels.size() - failures));
    response.body.append(",\"failureCount\":").append(std::to_string(failures));
    response.body.append(",\"results\":[").append(items).append("]}");
  } else if (failures == 0) {
    response.body.reserve(items.size() + 2);
    response.body.append("[").append(items).append("]");
  } else {
    response.status = 400;
    response.body = "{\"error\":";
    AppendAblyError(response.body, 40020, 400, "Batched response includes errors");
    response.body.append(",\"batchResponse\":[").append(items).append("]}");
  }
  return response;
}

FakeResponse AblyApi::ChannelPresence(const std::string& channel, const QueryParams& params) {
  const size_t limit = PageLimit(params);
  const auto cursor = FindParam(params, "cursor");
  const size_t offset = cursor ? std::strtoull(cursor->c_str(), nullptr, 10) : 0;
  FakeResponse response;
  std::optional<std::pair<int, int>> error;
  const size_t total = state_.RenderMembers(channel, offset, limit, response.body, error);
  if (error) return ErrorResponse(error->first, error->second, "Injected channel error");
  if (offset + limit < total) {
    response.headers.emplace_back("Link", "<./presence?limit=" + std::to_string(limit) +
                                              "&cursor=" + std::to_string(offset + limit) +
                                              ">; rel=\"next\"");
  }
  return response;
}

FakeResponse AblyApi::ChannelHistory(const std::string& channel, const QueryParams& params) {
  auto number = [&](std::string_view name, int64_t fallback) {
    const auto text = FindParam(params, name);
    return text && !text->empty() ? std::strtoll(text->c_str(), nullptr, 10) : fallback;
  };
  const int64_t start = number("start", 0);
  const int64_t end = number("end", clock_.NowMs());
  const std::string direction = FindParam(params, "direction").value_or("backwards");
  if (direction != "forwards" && direction != "backwards") {
    return ErrorResponse(40003, 400, "direction must be forwards or backwards");
  }
  const size_t limit = PageLimit(params);
  const auto cursor = static_cast<uint64_t>(number("cursor", 0));
  FakeResponse response;
  std::optional<std::pair<int, int>> error;
  const HistoryPage page = state_.RenderHistory(channel, start, end, direction == "forwards", limit,
                                                cursor, response.body, error);
  if (error) return ErrorResponse(error->first, error->second, "Injected channel error");
  if (page.more) {
    // Relative to /channels/{name}/presence/history, as Ably's links are to their request.
    response.headers.emplace_back(
        "Link", "<./history?start=" + std::to_string(start) + "&end=" + std::to_string(end) +
                    "&direction=" + direction + "&limit=" + std::to_string(limit) +
                    "&cursor=" + std::to_string(page.next_cursor) + ">; rel=\"next\"");
  }
  return response;
}

FakeResponse AblyApi::Enumerate(const QueryParams& params) {
  const std::string prefix = FindParam(params, "prefix").value_or("");
  const std::string cursor = FindParam(params, "cursor").value_or("");
  if (!FindParam(params, "cursor") && rules_.EnumerationBusy()) {
    return ErrorResponse(42912, 429, "Channel enumeration is already in progress for this app");
  }
  if (FindParam(params, "cursor") && rules_.TakePaginationInvalid()) {
    return ErrorResponse(40011, 400, "Pagination is no longer valid; start again");
  }
  const size_t limit = PageLimit(params);
  const std::string base =
      "./channels?prefix=" + PercentEncode(prefix) + "&by=id&limit=" + std::to_string(limit);
  std::string link = "<" + base + ">; rel=\"first\"";

  FakeResponse response;
  std::vector<std::string> names;
  if (state_.TakeEmptyPage()) {
    // An empty page that still has `next`, pointing at the same position.
    link += ", <" + base + "&cursor=" + PercentEncode(cursor) + ">; rel=\"next\"";
  } else {
    auto [page, more] = state_.ListChannels(prefix, cursor, limit);
    names = std::move(page);
    if (more && !names.empty()) {
      link += ", <" + base + "&cursor=" + PercentEncode(names.back()) + ">; rel=\"next\"";
    }
    rules_.EnumerationPage(more && !names.empty());
  }
  response.body = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) response.body.push_back(',');
    AppendJsonString(response.body, names[i]);
  }
  response.body.push_back(']');
  response.headers.emplace_back("Link", link);
  return response;
}

}  // namespace presenced::testing
