#pragma once

// FakeServiceRules: the parts of Ably's behaviour that are about the service rather than the
// presence data (ABLY.md): tokens that expire (40142 after their deadline, on Ably's clock) and
// carry a capability, the token endpoint (`POST /keys/{keyName}/requestToken`) and an auth_url
// stand-in that can also fail (HTTP 500), hang, or hand out tokens that are already expired or
// that Ably does not know, one enumeration per app at a time (42912 while another is mid-way),
// pagination that becomes invalid (40011), and connection resets in the middle of a body.
//
// Thread-safety: every method may be called from any thread; one mutex guards all of it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fake_ably/ably_clock.h"
#include "fake_ably/capability.h"

namespace presenced::testing {

class FakeServiceRules {
 public:
  enum class TokenCheck { kValid, kExpired, kUnknown };
  // What the auth_url stand-in (GET /auth) answers.
  enum class AuthUrlMode {
    kNormal,   // a token, TokenDetails or TokenRequest, as `as=` asks
    kFail,     // HTTP 500
    kHang,     // never answers (until ReleaseHangs, a mode change or the server stops)
    kExpired,  // a token (or TokenDetails) that expired a minute ago
    kUnknown,  // a token Ably does not know: 401/40101 when used
  };

  // `clock` (Ably's time) must outlive the rules.
  explicit FakeServiceRules(const FakeAblyClock& clock) : clock_(clock) {}

  // Issues a new token valid for `ttl` with `capability` ("" = every capability of the key);
  // returns it.
  std::string IssueToken(std::chrono::milliseconds ttl, const std::string& capability = "");
  TokenCheck CheckToken(const std::string& token) const;
  // The capability JSON a known token carries ("" = the key's).
  std::string TokenCapability(const std::string& token) const;
  // Makes a known token expire now (a test's clock does not have to race a slow start).
  void ExpireToken(const std::string& token);
  // Expiry (ms since the epoch) of a known token, 0 when unknown.
  int64_t TokenExpiry(const std::string& token) const;
  // TTL of the tokens the auth endpoint and requestToken hand out (default 1 h).
  void SetTokenTtl(std::chrono::milliseconds ttl);
  std::chrono::milliseconds token_ttl() const;
  void CountAuthRequest();
  int auth_requests() const;
  // When each auth_url request arrived (ms on Ably's clock), oldest first.
  std::vector<int64_t> auth_request_times() const;
  void SetAuthUrlMode(AuthUrlMode mode);
  AuthUrlMode auth_url_mode() const;
  // Blocks a kHang request until the mode changes, ReleaseHangs or Shutdown; returns false
  // after Shutdown.
  bool WaitWhileHanging();
  void ReleaseHangs();
  // Wakes every hanging request for good (the server stops).
  void Shutdown();

  // Enumeration: while an enumeration is mid-way (a page with `next` was served less than
  // `lease` ago), a new one (a first page) is refused with 42912.
  void SetEnumerationLease(std::chrono::milliseconds lease);
  // Pretends another client of the app started an enumeration just now.
  void StartForeignEnumeration();
  // Returns true when a first page must be refused (another enumeration is running).
  bool EnumerationBusy() const;
  // Records that a page was served; `more` when it had `next`.
  void EnumerationPage(bool more);
  // The next continued enumeration request (with a cursor) answers 40011.
  void InvalidateNextPagination();
  bool TakePaginationInvalid();

  // The next `count` API responses send half their body, then reset the connection.
  void ResetNextResponses(int count);
  bool TakeReset();

  void Reset();

 private:
  struct Token {
    int64_t expires_ms = 0;  // on Ably's clock
    std::string capability;  // "" = the key's
  };
  const FakeAblyClock& clock_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable hang_cv_;
  std::map<std::string, Token> tokens_;
  uint64_t next_token_ = 0;
  std::chrono::milliseconds token_ttl_{3'600'000};
  int auth_requests_ = 0;
  std::vector<int64_t> auth_request_times_;
  AuthUrlMode auth_url_mode_ = AuthUrlMode::kNormal;
  uint64_t hang_generation_ = 0;  // bumped by ReleaseHangs and mode changes
  bool shutting_down_ = false;
  std::chrono::milliseconds lease_{2'000};
  std::chrono::steady_clock::time_point busy_until_{};
  bool invalidate_pagination_ = false;
  int resets_ = 0;
};

}  // namespace presenced::testing
