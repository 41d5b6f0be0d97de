#pragma once

// AblyTransport: sends one logical Ably REST GET and returns its answer after the retries the
// contract allows (CONTRACT §1, Ably client spec RSC15, RSA4b):
//  - every attempt waits for the RateLimiter first; every 429 rate-limit answer (not 42912,
//    which is about concurrent enumerations) lowers the ceiling and honours Retry-After at once,
//    a CloudFront one too before it is retried on a fallback host;
//  - a connect failure, a timeout, a connection reset mid-response, HTTP 500-504, and an answer
//    >= 400 from CloudFront (`Server: CloudFront`, RSC15l4) are retried on the fallback hosts,
//    at most three retries within 15 s; any other 4xx never is;
//  - credentials come from AblyAuth, which never hands out a token known to be bad: without one
//    the request is not sent (kFailed, code 40170); a 401 other than a missing capability
//    (40160-40199) tells AblyAuth the credentials were refused, and the request is sent once
//    more when a new token can be had at once (RSA4b).
// Every attempt is counted in presenced_api_requests_total and the latency histogram.
// Thread-safe.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "ably/auth.h"
#include "ably/batch_parser.h"
#include "ably/host_selector.h"
#include "ably/rate_limiter.h"
#include "common/clock.h"
#include "common/random.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "net/url.h"

namespace presenced {

// The outcome of one logical request.
struct AblyAnswer {
  enum class Kind {
    kResponse,   // an HTTP answer, any status: `response`; `error` set when not 2xx
    kTooLarge,   // the body was over ably.max_response_bytes
    kFailed,     // no usable answer (network, timeout, no credentials, rate-limit pause)
    kCancelled,  // `cancel` was set before it was sent
    kNotSent,    // the caller's SendCheck refused to send it (`error` says why)
  };
  Kind kind = Kind::kFailed;
  HttpResponse response;
  // The Ably error of a non-2xx response, else why there is no answer (naming the host and the
  // reason: "request failed: rest.ably.io:443: connection refused").
  AblyError error;
  std::string host;

  bool ok() const {
    return kind == Kind::kResponse && response.status >= 200 && response.status <= 299;
  }
};

// Asked right before each attempt is sent (after the rate limiter's wait): an error stops the
// request there (AblyAnswer::Kind::kNotSent), e.g. a history window that left Ably's retention.
using SendCheck = std::function<std::optional<AblyError>()>;

class AblyTransport {
 public:
  // Every reference must outlive the transport; `config` is copied. `random` orders the
  // fallback hosts.
  AblyTransport(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock,
                Random& random, AblyAuth& auth);

  // Sends GET {endpoint}{target}; `target` starts with '/' and is relative to the endpoint's
  // path. A Retry-After pause longer than the request timeout fails it at once.
  // `body_buffer`: see HttpRequest::body_buffer (every attempt may take it).
  AblyAnswer Get(const std::string& target, const std::atomic<bool>& cancel,
                 const SendCheck& check = {}, std::string* body_buffer = nullptr);

  // Returns the endpoint's path without a trailing '/', often "" (prefix of every target).
  const std::string& base_path() const { return base_path_; }

 private:
  AblyAnswer Send(const std::string& target, const std::string& authorization,
                  const std::atomic<bool>& cancel, const SendCheck& check,
                  std::string* body_buffer);
  // Lowers the request rate after a 429 rate-limit answer (not 42912).
  void LearnRateLimit(const HttpResponse& response);
  std::string UrlFor(const std::string& host, const std::string& target) const;

  const AblyConfig config_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;
  AblyAuth& auth_;
  const Headers headers_;
  Url endpoint_;
  std::string endpoint_error_;  // set when config.endpoint does not parse
  std::string base_path_;
  HostSelector hosts_;
  RateLimiter limiter_;
};

// True for Ably's token errors: HTTP 401 with a code in 40140-40149 (RSA4b).
bool IsTokenError(const AblyError& error);
// True for a missing capability (40160-40199, e.g. 40160): the credentials are valid.
bool IsCapabilityError(const AblyError& error);

}  // namespace presenced
