#include "fake_ably/service_rules.h"

#include <utility>

namespace presenced::testing {

std::string FakeServiceRules::IssueToken(std::chrono::milliseconds ttl,
                                         const std::string& capability) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowMs();
  const std::string token =
      "faketoken-" + std::to_string(++next_token_) + "-" + std::to_string(now % 1'000'000);
  tokens_[token] = Token{now + ttl.count(), capability};
  return token;
}

FakeServiceRules::TokenCheck FakeServiceRules::CheckToken(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return TokenCheck::kUnknown;
  return clock_.NowMs() < it->second.expires_ms ? TokenCheck::kValid : TokenCheck::kExpired;
}

std::string FakeServiceRules::TokenCapability(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  return it == tokens_.end() ? "" : it->second.capability;
}

void FakeServiceRules::ExpireToken(const std::string& token) {
  std::lock_guard lock(mu_);
  if (auto it = tokens_.find(token); it != tokens_.end()) it->second.expires_ms = clock_.NowMs();
}

int64_t FakeServiceRules::TokenExpiry(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  return it == tokens_.end() ? 0 : it->second.expires_ms;
}

void FakeServiceRules::SetTokenTtl(std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  token_ttl_ = ttl;
}

std::chrono::milliseconds FakeServiceRules::token_ttl() const {
  std::lock_guard lock(mu_);
  return token_ttl_;
}

void FakeServiceRules::CountAuthRequest() {
  std::lock_guard lock(mu_);
  ++auth_requests_;
  auth_request_times_.push_back(clock_.NowMs());
}

int FakeServiceRules::auth_requests() const {
  std::lock_guard lock(mu_);
  return auth_requests_;
}

std::vector<int64_t> FakeServiceRules::auth_request_times() const {
  std::lock_guard lock(mu_);
  return auth_request_times_;
}

void FakeServiceRules::SetAuthUrlMode(AuthUrlMode mode) {
  {
    std::lock_guard lock(mu_);
    auth_url_mode_ = mode;
    ++hang_generation_;
  }
  hang_cv_.notify_all();
}

FakeServiceRules::AuthUrlMode FakeServiceRules::auth_url_mode() const {
  std::lock_guard lock(mu_);
  return auth_url_mode_;
}

bool FakeServiceRules::WaitWhileHanging() {
  std::unique_lock lock(mu_);
  const uint64_t generation = hang_generation_;
  hang_cv_.wait(lock, [&] { return shutting_down_ || hang_generation_ != generation; });
  return !shutting_down_;
}

void FakeServiceRules::ReleaseHangs() {
  {
    std::lock_guard lock(mu_);
    ++hang_generation_;
  }
  hang_cv_.notify_all();
}

void FakeServiceRules::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  hang_cv_.notify_all();
}

void FakeServiceRules::SetEnumerationLease(std::chrono::milliseconds lease) {
  std::lock_guard lock(mu_);
  lease_ = lease;
}

void FakeServiceRules::StartForeignEnumeration() {
  std::lock_guard lock(mu_);
  busy_until_ = std::chrono::steady_clock::now() + lease_;
}

bool FakeServiceRules::EnumerationBusy() const {
  std::lock_guard lock(mu_);
  return std::chrono::steady_clock::now() < busy_until_;
}

void FakeServiceRules::EnumerationPage(bool more) {
  std::lock_guard lock(mu_);
  busy_until_ =
      more ? std::chrono::steady_clock::now() + lease_ : std::chrono::steady_clock::time_point{};
}

void FakeServiceRules::InvalidateNextPagination() {
  std::lock_guard lock(mu_);
  invalidate_pagination_ = true;
}

bool FakeServiceRules::TakePaginationInvalid() {
  std::lock_guard lock(mu_);
  return std::exchange(invalidate_pagination_, false);
}

void FakeServiceRules::ResetNextResponses(int count) {
  std::lock_guard lock(mu_);
  resets_ = count;
}

bool FakeServiceRules::TakeReset() {
  std::lock_guard lock(mu_);
  if (resets_ <= 0) return false;
  --resets_;
  return true;
}

void FakeServiceRules::Reset() {
  std::lock_guard lock(mu_);
  tokens_.clear();
  token_ttl_ = std::chrono::milliseconds(3'600'000);
  auth_requests_ = 0;
  auth_request_times_.clear();
  auth_url_mode_ = AuthUrlMode::kNormal;
  ++hang_generation_;
  busy_until_ = {};
  invalidate_pagination_ = false;
  resets_ = 0;
  hang_cv_.notify_all();
}

}  // namespace presenced::testing
