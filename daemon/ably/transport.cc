#include "ably/transport.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <optional>

#include "ably/rest_request.h"
#include "common/log_fields.h"
#include "net/retry_after.h"

namespace presenced {
namespace {

// RSC15: retries on fallback hosts stop once this long has passed since the first attempt.
constexpr std::chrono::seconds kMaxRetryDuration{15};
constexpr int kEnumerationBusy = 42912;      // one enumeration per app at a time: not a rate limit
constexpr int kFirstCapabilityCode = 40160;  // 40160-40199: the key lacks a capability
constexpr int kLastCapabilityCode = 40199;
constexpr int kNoToken = 40170;  // Ably's "error from authUrl/authCallback"

const char* FailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kConnect:
      return "connect";
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kTooLarge:
      return "response too large";
    case TransportFailure::kProtocol:
      return "protocol error";
    case TransportFailure::kReset:
      return "connection reset";
    case TransportFailure::kAborted:
      return "aborted";
  }
  return "unknown";
}

bool FromCloudFront(const HttpResponse& response) {
  const std::string server = response.Header("Server");
  return strcasestr(server.c_str(), "cloudfront") != nullptr;
}

// RSC15l: network errors, timeouts, a reset mid-response, HTTP 500-504 and CloudFront's
// answers >= 400 may succeed on another host; Ably's own 4xx never.
bool Retryable(const HttpResult& result) {
  if (!result.ok()) {
    const TransportFailure failure = result.error().failure;
    return failure == TransportFailure::kConnect || failure == TransportFailure::kTimeout ||
           failure == TransportFailure::kReset;
  }
  const int status = result.response().status;
  return (status >= 500 && status <= 504) || (status >= 400 && FromCloudFront(result.response()));
}

AblyError ErrorOf(const HttpResponse& response) {
  // The batch parser's whole-failure path reads an error body or the X-Ably-Error* headers.
  return ParseBatchPresence(response.status, response.body, response.Header("X-Ably-ErrorCode"),
                            response.Header("X-Ably-ErrorMessage"))
      .error;
}

AblyAnswer ToAnswer(HttpResult result, std::string host) {
  AblyAnswer answer;
  answer.host = std::move(host);
  if (result.ok()) {
    answer.kind = AblyAnswer::Kind::kResponse;
    answer.response = std::move(result.response());
    const int status = answer.response.status;
    if (status < 200 || status > 299) answer.error = ErrorOf(answer.response);
    return answer;
  }
  const TransportError& error = result.error();
  answer.kind = error.failure == TransportFailure::kTooLarge ? AblyAnswer::Kind::kTooLarge
                                                             : AblyAnswer::Kind::kFailed;
  // The transport's words name the host and the reason ("…: connection refused").
  answer.error.message = "request failed: " + error.message;
  return answer;
}

}  // namespace

bool IsTokenError(const AblyError& error) {
  return error.status_code == 401 && error.code >= 40140 && error.code <= 40149;
}

bool IsCapabilityError(const AblyError& error) {
  return error.code >= kFirstCapabilityCode && error.code <= kLastCapabilityCode;
}

AblyTransport::AblyTransport(const AblyConfig& config, HttpClient& http, Metrics& metrics,
                             const Clock& clock, Random& random, AblyAuth& auth)
    : config_(config),
      http_(http),
      metrics_(metrics),
      clock_(clock),
      auth_(auth),
      headers_(AblyRequestHeaders()),
      hosts_(config.fallback_hosts, clock, random),
      limiter_(config.max_requests_per_second, clock, metrics) {
  Result<Url> endpoint = ParseUrl(config.endpoint);
  if (!endpoint.ok()) {
    endpoint_error_ = "invalid endpoint: " + endpoint.error().message;
    return;
  }
  endpoint_ = *endpoint;
  base_path_ = endpoint_.target.substr(0, endpoint_.target.find('?'));
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
}

std::string AblyTransport::UrlFor(const std::string& host, const std::string& target) const {
  if (host.empty()) return endpoint_.Authority() + target;
  std::string authority = endpoint_.scheme + "://" + host;
  const bool default_port = endpoint_.port == (endpoint_.scheme == "https" ? 443 : 80);
  if (host.find(':') == std::string::npos && !default_port) {
    authority += ":" + std::to_string(endpoint_.port);
  }
  return authority + target;
}

AblyAnswer AblyTransport::Get(const std::string& target, const std::atomic<bool>& cancel,
                              const SendCheck& check, std::string* body_buffer) {
  if (!endpoint_error_.empty()) {
    AblyAnswer answer;
    answer.error.message = endpoint_error_;
    answer.host = config_.endpoint;
    return answer;
  }
  for (int attempt = 0;; ++attempt) {
    Result<std::string> authorization = auth_.Authorization(cancel);
    if (!authorization.ok()) {
      AblyAnswer answer;
      if (cancel.load()) {
        answer.kind = AblyAnswer::Kind::kCancelled;
        answer.error.message = "cancelled";
        return answer;
      }
      // Not sent: no request goes out with credentials known to be bad.
      answer.error = {kNoToken, 401,
                      "not sent, no usable Ably token: " + authorization.error().message};
      answer.host = endpoint_.host;
      return answer;
    }
    AblyAnswer answer = Send(target, *authorization, cancel, check, body_buffer);
    if (answer.kind != AblyAnswer::Kind::kResponse) return answer;
    if (answer.response.status != 401) {
      auth_.Accepted(*authorization);
      return answer;
    }
    if (answer.error.status_code == 0) answer.error.status_code = 401;
    if (IsCapabilityError(answer.error)) {
      auth_.Accepted(*authorization);  // the credentials are good, they lack an operation
      return answer;
    }
    // Any other 401: these credentials are not used again; RSA4b: one more try with new ones.
    if (auth_.OnRejected(*authorization, answer.error) && attempt == 0) continue;
    return answer;
  }
}

void AblyTransport::LearnRateLimit(const HttpResponse& response) {
  const AblyError error = ErrorOf(response);
  if (error.code == kEnumerationBusy) return;
  const auto retry_after = ParseRetryAfter(response.Header("Retry-After"), clock_.NowMs());
  limiter_.OnRateLimited(retry_after);
  const LogFields fields{{"code", error.code}};
  spdlog::warn("Ably rate limit (HTTP 429, code {}{}): request rate now at most {:.1f}/s{}",
               error.code, FromCloudFront(response) ? ", from CloudFront" : "", limiter_.ceiling(),
               retry_after ? ", pausing " + std::to_string(retry_after->count()) + "ms" : "");
}

AblyAnswer AblyTransport::Send(const std::string& target, const std::string& authorization,
                               const std::atomic<bool>& cancel, const SendCheck& check,
                               std::string* body_buffer) {
  HttpRequest request;
  request.body_buffer = body_buffer;
  request.headers = headers_;
  request.headers.emplace_back("Authorization", authorization);
  request.connect_timeout = config_.connect_timeout;
  request.request_timeout = config_.request_timeout;
  request.max_response_bytes = config_.max_response_bytes;
  // Connections to Ably stay open between poll cycles (default interval 15 s), so a cycle does not
  // pay a TLS handshake per request; a connection Ably closed sooner costs one transparent retry.
  request.keep_alive_idle = std::chrono::seconds(120);
  const auto start = clock_.SteadyNow();
  std::optional<AblyAnswer> last;
  // The caller's check before the rate limiter's wait (no slot taken for a request that will
  // not leave) and again after it, when the request is about to leave.
  auto refused = [&]() -> std::optional<AblyAnswer> {
    if (!check) return std::nullopt;
    std::optional<AblyError> error = check();
    if (!error) return std::nullopt;
    AblyAnswer not_sent;
    not_sent.kind = AblyAnswer::Kind::kNotSent;
    not_sent.error = std::move(*error);
    not_sent.host = endpoint_.host;
    return not_sent;
  };
  for (const std::string& host : hosts_.Order()) {
    if (last && clock_.SteadyNow() - start >= kMaxRetryDuration) break;
    if (auto not_sent = refused()) return std::move(*not_sent);
    if (!limiter_.Wait(cancel, config_.request_timeout)) {
      if (cancel.load()) {
        AblyAnswer cancelled;
        cancelled.kind = AblyAnswer::Kind::kCancelled;
        cancelled.error.message = "cancelled";
        return cancelled;
      }
      AblyAnswer paused;
      paused.error = {42910, 429, "not sent: Ably asked to pause requests (Retry-After)"};
      paused.host = endpoint_.host;
      return paused;
    }
    if (auto not_sent = refused()) return std::move(*not_sent);
    request.url = UrlFor(host, target);
    const auto sent = clock_.SteadyNow();
    HttpResult result = http_.Send(request);
    const std::string host_name = host.empty() ? endpoint_.host : host;
    const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - sent).count();
    metrics_.ApiRequest(result.ok() ? std::to_string(result.response().status) : "error", seconds);
    // Every 429 teaches the limiter at once, a CloudFront one retried on a fallback host too.
    if (result.ok() && result.response().status == 429) LearnRateLimit(result.response());
    if (!Retryable(result)) {
      hosts_.Succeeded(host);
      return ToAnswer(std::move(result), host_name);
    }
    hosts_.Failed(host);
    spdlog::debug("Ably request to {} failed ({}); trying a fallback host if any", host_name,
                  result.ok() ? "HTTP " + std::to_string(result.response().status)
                              : std::string(FailureName(result.error().failure)));
    last = ToAnswer(std::move(result), host_name);
  }
  return std::move(*last);
}

}  // namespace presenced
