#pragma once

// FakeServiceRules: the parts of Ably's behaviour that are about the service rather than the
// presence data (ABLY.md): tokens that expire (40142 after their deadline), the token endpoint
// (`POST /keys/{keyName}/requestToken`) and an auth_url stand-in, one enumeration per app at a
// time (42912 while another is mid-way), pagination that becomes invalid (40011), and connection
// resets in the middle of a body.
//
// Thread-safety: every method may be called from any thread; one mutex guards all of it.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace presenced::testing {

class FakeServiceRules {
 public:
  enum class TokenCheck { kValid, kExpired, kUnknown };

  // Issues a new token valid for `ttl`; returns it.
  std::string IssueToken(std::chrono::milliseconds ttl);
  TokenCheck CheckToken(const std::string& token) const;
  // Makes a known token expire now (a test's clock does not have to race a slow start).
  void ExpireToken(const std::string& token);
  // Expiry (ms since the epoch) of a known token, 0 when unknown.
  int64_t TokenExpiry(const std::string& token) const;
  // TTL of the tokens the auth endpoint and requestToken hand out (default 1 h).
  void SetTokenTtl(std::chrono::milliseconds ttl);
  std::chrono::milliseconds token_ttl() const;
  void CountAuthRequest();
  int auth_requests() const;

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
  mutable std::mutex mu_;                  // guards everything below
  std::map<std::string, int64_t> tokens_;  // token → expiry, ms since the epoch
  uint64_t next_token_ = 0;
  std::chrono::milliseconds token_ttl_{3'600'000};
  int auth_requests_ = 0;
  std::chrono::milliseconds lease_{2'000};
  std::chrono::steady_clock::time_point busy_until_{};
  bool invalidate_pagination_ = false;
  int resets_ = 0;
};

}  // namespace presenced::testing
