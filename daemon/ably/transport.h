#pragma once

// AblyTransport: sends one logical Ably REST GET and returns its answer after the retries the
// contract allows (CONTRACT §1, Ably client spec RSC15, RSA4b):
//  - every attempt waits for the RateLimiter first; a 429 rate-limit answer (not 42912, which
//    is about concurrent enumerations) lowers the ceiling and honours Retry-After;
//  - a connect failure, a timeout, a connection reset mid-response, HTTP 500-504, and an answer
//    >= 400 from CloudFront (`Server: CloudFront`, RSC15l4) are retried on the fallback hosts,
//    at most three retries within 15 s; any other 4xx never is;
//  - a token error (401, 40140-40149) renews the token once (AblyAuth) and sends the request
//    again; a 401 that renewal does not fix marks the credentials rejected (/-/ready).
// Every attempt is counted in presenced_api_requests_total and the latency histogram.
// Thread-safe.

#include <atomic>
#include <chrono>
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

class AblyTransport {
 public:
  // Every reference must outlive the transport; `config` is copied. `random` orders the
  // fallback hosts.
  AblyTransport(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock,
                Random& random, AblyAuth& auth);

  // Sends GET {endpoint}{target}; `target` starts with '/' and is relative to the endpoint's
  // path. A Retry-After pause longer than the request timeout fails it at once.
  AblyAnswer Get(const std::string& target, const std::atomic<bool>& cancel);

  // Returns the endpoint's path without a trailing '/', often "" (prefix of every target).
  const std::string& base_path() const { return base_path_; }

 private:
  AblyAnswer Send(const std::string& target, const std::string& authorization,
                  const std::atomic<bool>& cancel);
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

}  // namespace presenced
