#pragma once

// AblyAuth: the credentials of every Ably request (CONTRACT §1 "Tokens expire", §3 ably.*).
//
//  - a key (key_env, key_file): `Basic base64(key)`, never renewed;
//  - token_env: `Bearer base64(token)`, cannot be renewed: once Ably refuses it, requests are no
//    longer sent (their channels go stale, no events) until the config changes or a reload;
//  - token_file: re-read whenever the file changes (checked before each request) and when Ably
//    refuses the token; a token Ably refused is not sent again until the file changes;
//  - auth_url: fetched on first use, again before the token's `expires` (TokenDetails), and when
//    Ably refuses the token. It may answer a token string, TokenDetails JSON, or a TokenRequest
//    JSON, which is exchanged at POST {endpoint}/keys/{keyName}/requestToken.
//
// Renewal is single flight (as ably-js does, test/rest/auth.test.js "authCallback is only invoked
// once on concurrent auth"): one fetch at a time, without holding the lock; a request that needs
// a token meanwhile waits for it, and gives up when its cancel flag is set (a stop). A failed
// fetch, a token that is already expired when it arrives, and a 401 for a token Ably never
// accepted back off: 5 s, doubling to 60 s, one fetch per step; a 401 for a token Ably accepted
// before (it expired or was revoked) renews at once. No request is sent with a token known to be
// bad: past its `expires` on Ably's clock (the `clock` given, an AblyClock; RSA4b1) or refused by
// Ably; Authorization() then fails and says why (Problem(), /-/ready `credentials`). A reload
// (RenewNow) renews whatever the backoff.
//
// Every new token after the first counts in presenced_ably_token_renewals_total{result="ok"},
// every failed attempt in {result="error"}. Logs, errors and Problem() never contain a key, a
// token or an auth_headers value.
//
// Thread-safe: fetch threads share one instance.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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
  static constexpr std::chrono::milliseconds kFirstBackoff{5'000};
  static constexpr std::chrono::milliseconds kMaxBackoff{60'000};

  // `http`, `metrics` and `clock` must outlive it; `config` is copied. `clock`'s NowMs() is the
  // time tokens expire on (Ably's: pass an AblyClock).
  AblyAuth(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock);

  // Returns the Authorization header value for the next request: the current credentials when
  // usable, else after a renewal (this thread's, or the one in flight, waited for until `cancel`
  // is set). An Error (without secrets) when no usable credential is available now: the request
  // must not be sent.
  Result<std::string> Authorization(const std::atomic<bool>& cancel);
  // The same, never cancelled.
  Result<std::string> Authorization();

  // Handles an HTTP 401 that Ably answered to a request sent with `used`, other than a missing
  // capability (40160-40199): those credentials are not used again. Returns true when the request
  // may be sent once more now (RSA4b): another request renewed meanwhile, or a renewal may start
  // at once (a token Ably had accepted before, or a token_file that now holds another token).
  bool OnRejected(const std::string& used, const AblyError& error);
  // Records that Ably answered a request sent with `used` with anything but a 401: the backoff
  // ends and a problem from a rejection clears.
  void Accepted(const std::string& used);
  // Renews on the next use whatever the backoff, and tries a refused token_env or token_file
  // token again (a reload: SIGHUP, POST /-/reload).
  void RenewNow();

  // Why presenced has no working credentials (GET /-/ready); nullopt while it has.
  std::optional<std::string> Problem() const;

 private:
  struct Fetched {
    std::string token;
    int64_t expires_ms = 0;  // 0 = unknown
  };
  // Fetches a token from auth_url (and exchanges a TokenRequest); no lock held (HTTP).
  Result<Fetched> FetchFromAuthUrl() const;
  Result<Fetched> ExchangeTokenRequest(const std::string& key_name,
                                       const std::string& request_json) const;
  // Runs one auth_url fetch as the single flight, without holding mu_ while it runs.
  void RenewFromAuthUrl() REQUIRES(mu_);
  // Re-reads token_file if it changed (or `force`); `after_rejection` counts a failure.
  Status ReloadTokenFileLocked(bool force, bool after_rejection) REQUIRES(mu_);
  // True when the current token may be sent: known, not refused, not past `expires`.
  bool UsableLocked() const REQUIRES(mu_);
  void AdoptTokenLocked(const std::string& token, int64_t expires_ms) REQUIRES(mu_);
  // Moves the backoff one step (5 s, doubling to 60 s) and schedules the next fetch after it.
  void BackOffLocked() REQUIRES(mu_);
  void SetProblemLocked(std::optional<std::string> problem, bool from_rejection) REQUIRES(mu_);

  const AblyConfig config_;
  HttpClient& http_;
  Metrics& metrics_;
  const Clock& clock_;

  mutable Mutex mu_;
  std::condition_variable renewed_;  // a renewal finished (waited on with mu_)
  // The current Authorization value ("" until a token is known).
  std::string header_ GUARDED_BY(mu_);
  bool have_token_ GUARDED_BY(mu_) = false;  // a token was obtained at least once
  int64_t expires_ms_ GUARDED_BY(mu_) = 0;   // on clock_; 0 = unknown
  int64_t renew_at_ms_ GUARDED_BY(mu_) = 0;  // auth_url: fetch again from this time on
  bool refused_ GUARDED_BY(mu_) = false;     // Ably answered 401 to the current credentials
  bool accepted_ GUARDED_BY(mu_) = false;    // Ably accepted the current credentials once
  bool force_ GUARDED_BY(mu_) = false;       // RenewNow: renew at the next use
  bool renewing_ GUARDED_BY(mu_) = false;    // an auth_url fetch is in flight
  std::chrono::milliseconds backoff_ GUARDED_BY(mu_){0};  // 0 = no failure since a success
  std::chrono::steady_clock::time_point next_attempt_ GUARDED_BY(mu_){};
  std::string file_stamp_ GUARDED_BY(mu_);  // token_file: identity of the version read last
  std::optional<std::string> problem_ GUARDED_BY(mu_);  // see Problem()
  // problem_ came from a rejection (only Accepted() clears it).
  bool problem_from_rejection_ GUARDED_BY(mu_) = false;
};

}  // namespace presenced
