#include "fake_ably/service_rules.h"

#include <utility>

namespace presenced::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string FakeServiceRules::IssueToken(std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  const std::string token =
      "faketoken-" + std::to_string(++next_token_) + "-" + std::to_string(NowMs() % 1'000'000);
  tokens_[token] = NowMs() + ttl.count();
  return token;
}

FakeServiceRules::TokenCheck FakeServiceRules::CheckToken(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return TokenCheck::kUnknown;
  return NowMs() < it->second ? TokenCheck::kValid : TokenCheck::kExpired;
}

void FakeServiceRules::ExpireToken(const std::string& token) {
  std::lock_guard lock(mu_);
  if (auto it = tokens_.find(token); it != tokens_.end()) it->second = NowMs();
}

int64_t FakeServiceRules::TokenExpiry(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  return it == tokens_.end() ? 0 : it->second;
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
}

int FakeServiceRules::auth_requests() const {
  std::lock_guard lock(mu_);
  return auth_requests_;
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
  busy_until_ = {};
  invalidate_pagination_ = false;
  resets_ = 0;
}

}  // namespace presenced::testing
