#pragma once

// AblyAuth: the credentials of every Ably request (CONTRACT §1 "Tokens expire", §3 ably.*).
//
//  - a key (key_env, key_file): `Basic base64(key)`, never renewed;
//  - token_env: `Bearer base64(token)`, cannot be renewed: a token error is reported and the
//    requests keep failing (their channels go stale, no events) until the config changes;
//  - token_file: re-read whenever the file changes (checked before each request) and on every
//    token error;
//  - auth_url: fetched on first use, again before the token's `expires` (TokenDetails), and on
//    every token error. It may answer a token string, TokenDetails JSON, or a TokenRequest JSON,
//    which is exchanged at POST {endpoint}/keys/{keyName}/requestToken.
//
// Every new token after the first counts in presenced_ably_token_renewals_total{result}. Logs,
// errors and Problem() never contain a key, a token or an auth_headers value.
//
// Thread-safe: fetch threads share one instance; a renewal runs once while the others wait.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "ably/batch_parser.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/result.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {

class AblyAuth {
 public:
  // `http`, `metrics` and `clock` must outlive it; `config` is copied.
  AblyAuth(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock);

  // Returns the Authorization header value for the next request, first re-reading a changed
  // token_file or fetching from auth_url when there is no token or it is about to expire. An
  // Error (without secrets) when no credential is available.
  Result<std::string> Authorization();

  // Handles a token error (HTTP 401, code 40140-40149) answered to a request sent with `used`.
  // Renews once: when another request already renewed since `used` was handed out, it only
  // returns true. Returns true when the request may be retried with Authorization().
  bool RenewAfterTokenError(const std::string& used, const AblyError& error);

  // Records that Ably rejected the credentials (HTTP 401 that a renewal did not fix).
  void Rejected(const AblyError& error);
  // Records that Ably accepted them (any answer but a 401).
  void Accepted();

  // Why presenced has no working credentials (GET /-/ready); nullopt while it has.
  std::optional<std::string> Problem() const;

 private:
  // Re-reads token_file if it changed; `after_token_error` also counts a failure as a failed
  // renewal.
  Status ReloadTokenFileLocked(bool after_token_error) REQUIRES(mu_);
  // Fetches a token from auth_url. `renewal`: not the first token (counted in the metrics).
  // `critical`: no usable token is left, so a failure becomes Problem().
  Status FetchFromAuthUrlLocked(bool renewal, bool critical) REQUIRES(mu_);
  Result<std::string> ExchangeTokenRequestLocked(const std::string& key_name,
                                                 const std::string& request_json,
                                                 int64_t& expires_ms) REQUIRES(mu_);
  void AdoptTokenLocked(std::string token, int64_t expires_ms) REQUIRES(mu_);
  void SetProblemLocked(std::optional<std::string> problem, bool from_rejection) REQUIRES(mu_);

  const AblyConfig config_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;

  mutable Mutex mu_;
  // The current Authorization value ("" until a token is known).
  std::string header_ GUARDED_BY(mu_);
  int64_t expires_ms_ GUARDED_BY(mu_) = 0;   // 0 = unknown (renewed on a token error only)
  int64_t renew_at_ms_ GUARDED_BY(mu_) = 0;  // auth_url: fetch again from this time on
  // auth_url: no new fetch before this after a failure.
  int64_t next_attempt_ms_ GUARDED_BY(mu_) = 0;
  std::string file_stamp_ GUARDED_BY(mu_);   // token_file: identity of the version read last
  bool have_token_ GUARDED_BY(mu_) = false;  // a token was obtained at least once
  std::optional<std::string> problem_ GUARDED_BY(mu_);  // see Problem()
  // problem_ came from Rejected() (Accepted() clears).
  bool problem_from_rejection_ GUARDED_BY(mu_) = false;
};

}  // namespace presenced
