#include "ably/auth.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "ably/auth_text.h"
#include "ably/rest_request.h"

namespace presenced {
namespace {

// A token is renewed this long before it expires: a tenth of its life, between 1 s and 60 s.
constexpr int64_t kMinRenewMarginMs = 1'000;
constexpr int64_t kMaxRenewMarginMs = 60'000;

std::string Seconds(std::chrono::milliseconds ms) {
  return std::to_string((ms.count() + 999) / 1000) + "s";
}

}  // namespace

AblyAuth::AblyAuth(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock)
    : config_(config), http_(http), metrics_(metrics), clock_(clock) {
  MutexLock lock(mu_);
  switch (config_.auth) {
    case AblyConfig::Auth::kBasic:
      header_ = "Basic " + Base64Encode(config_.credential.Reveal());
      have_token_ = true;
      break;
    case AblyConfig::Auth::kBearer:
    case AblyConfig::Auth::kTokenFile:
      header_ = "Bearer " + Base64Encode(config_.credential.Reveal());
      have_token_ = true;
      break;
    case AblyConfig::Auth::kAuthUrl:
      break;
  }
  if (config_.auth == AblyConfig::Auth::kTokenFile) file_stamp_ = FileStamp(config_.token_file);
}

bool AblyAuth::UsableLocked() const {
  return have_token_ && !header_.empty() && !refused_ &&
         !(expires_ms_ > 0 && clock_.NowMs() >= expires_ms_);
}

Result<std::string> AblyAuth::Authorization() {
  static const std::atomic<bool> kNever{false};
  return Authorization(kNever);
}

Result<std::string> AblyAuth::Authorization(const std::atomic<bool>& cancel) {
  MutexLock lock(mu_);
  switch (config_.auth) {
    case AblyConfig::Auth::kBasic:
      return header_;  // a key cannot be renewed; a refused one is in Problem()
    case AblyConfig::Auth::kBearer:
      if (refused_) return Error{problem_.value_or("the token was refused")};
      return header_;
    case AblyConfig::Auth::kTokenFile: {
      Status read = ReloadTokenFileLocked(/*force=*/force_, /*after_rejection=*/false);
      force_ = false;
      if (UsableLocked()) return header_;
      return Error{problem_.value_or(read.ok() ? "ably.token_file holds the token Ably refused"
                                               : read.error().message)};
    }
    case AblyConfig::Auth::kAuthUrl:
      break;
  }
  while (true) {
    const int64_t now = clock_.NowMs();
    const bool usable = UsableLocked();
    const bool due = force_ || !usable || (renew_at_ms_ > 0 && now >= renew_at_ms_);
    if (due && !renewing_ && clock_.SteadyNow() >= next_attempt_) {
      RenewFromAuthUrl();
      continue;
    }
    if (usable) return header_;  // a renewal is due but the current token still works
    if (!renewing_) {
      const auto wait =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - clock_.SteadyNow());
      return Error{problem_.value_or("no usable Ably token") + "; next attempt in " +
                   Seconds(wait)};
    }
    // Single flight: wait for the renewal in flight; a stop does not wait for it.
    while (renewing_ && !cancel.load()) {
      clock_.WaitUntil(renewed_, lock.native(), clock_.SteadyNow() + Clock::kCancelCheck,
                       [&]() REQUIRES(mu_) { return !renewing_ || cancel.load(); });
    }
    if (cancel.load()) return Error{"cancelled while waiting for an Ably token"};
  }
}

void AblyAuth::RenewFromAuthUrl() {
  const bool renewal = have_token_;
  renewing_ = true;
  force_ = false;
  // Without the lock while the fetch waits on the network (the caller's MutexLock owns it again
  // when this returns); renewing_ makes the others wait meanwhile.
  mu_.Unlock();
  Result<Fetched> fetched = FetchFromAuthUrl();
  mu_.Lock();
  renewing_ = false;
  std::string why;
  if (!fetched.ok()) {
    why = fetched.error().message;
  } else if (fetched->expires_ms > 0 && fetched->expires_ms <= clock_.NowMs()) {
    why = "the token it answered expired " +
          Seconds(std::chrono::milliseconds(clock_.NowMs() - fetched->expires_ms)) +
          " ago (on Ably's clock)";
  }
  if (why.empty()) {
    if (renewal) metrics_.TokenRenewal(true);
    AdoptTokenLocked(fetched->token, fetched->expires_ms);
    spdlog::info(
        "Ably token {} from {}{}", renewal ? "renewed" : "obtained", ShownAuthUrl(config_.auth_url),
        expires_ms_ > 0
            ? " (expires in " + std::to_string((expires_ms_ - clock_.NowMs()) / 1000) + "s)"
            : "");
  } else {
    if (renewal) metrics_.TokenRenewal(false);
    BackOffLocked();
    const std::string message = "cannot get an Ably token from " + ShownAuthUrl(config_.auth_url) +
                                " (ably.auth_url): " + why + "; next attempt in " +
                                Seconds(backoff_);
    if (UsableLocked()) {
      spdlog::warn("{}; using the current token until it expires", message);
    } else {
      SetProblemLocked(message, /*from_rejection=*/false);
    }
  }
  renewed_.notify_all();
}

void AblyAuth::AdoptTokenLocked(const std::string& token, int64_t expires_ms) {
  const int64_t now = clock_.NowMs();
  header_ = "Bearer " + Base64Encode(token);
  have_token_ = true;
  refused_ = accepted_ = false;
  expires_ms_ = expires_ms;
  renew_at_ms_ = 0;
  if (expires_ms > now) {
    const int64_t margin =
        std::clamp((expires_ms - now) / 10, kMinRenewMarginMs, kMaxRenewMarginMs);
    renew_at_ms_ = expires_ms - margin;
  }
  // The backoff stays until Ably accepts the token: a fresh token refused backs off further.
  if (problem_ && !problem_from_rejection_) problem_.reset();
}

void AblyAuth::BackOffLocked() {
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
  next_attempt_ = clock_.SteadyNow() + backoff_;
}

bool AblyAuth::OnRejected(const std::string& used, const AblyError& error) {
  MutexLock lock(mu_);
  const std::string why = "HTTP 401, " + DescribeAblyError(error);
  if (config_.auth == AblyConfig::Auth::kBasic) {
    if (!problem_) {
      SetProblemLocked("Ably rejects the credentials (" + why + ")", /*from_rejection=*/true);
    }
    return false;
  }
  if (used != header_) return !refused_;  // another request brought a new token meanwhile
  refused_ = true;
  switch (config_.auth) {
    case AblyConfig::Auth::kBasic:
    case AblyConfig::Auth::kBearer:
      SetProblemLocked("the token from " + config_.token_env + " (ably.token_env) was rejected (" +
                           why + ") and cannot be renewed; use ably.token_file or ably.auth_url",
                       /*from_rejection=*/true);
      return false;
    case AblyConfig::Auth::kTokenFile: {
      Status read = ReloadTokenFileLocked(/*force=*/true, /*after_rejection=*/true);
      if (read.ok() && !refused_) return true;  // the file held a new token already
      if (read.ok()) metrics_.TokenRenewal(false);
      SetProblemLocked(read.ok() ? "ably.token_file " + config_.token_file +
                                       " still holds the token Ably rejected (" + why + ")"
                                 : read.error().message,
                       /*from_rejection=*/false);
      return false;
    }
    case AblyConfig::Auth::kAuthUrl:
      break;
  }
  if (accepted_) {
    // A token that worked expired or was revoked: renew at once.
    backoff_ = std::chrono::milliseconds(0);
    next_attempt_ = {};
    spdlog::info("Ably refused the token ({}); renewing it", why);
    return true;
  }
  // A fresh token refused: fetching again at once would only get the same answer.
  BackOffLocked();
  SetProblemLocked("Ably refuses the token from " + ShownAuthUrl(config_.auth_url) +
                       " (ably.auth_url) (" + why + "); next attempt in " + Seconds(backoff_),
                   /*from_rejection=*/false);
  return false;
}

void AblyAuth::Accepted(const std::string& used) {
  MutexLock lock(mu_);
  if (used != header_) return;
  accepted_ = true;
  backoff_ = std::chrono::milliseconds(0);
  if (problem_) {
    spdlog::info("Ably accepts the credentials again");
    problem_.reset();
  }
}

void AblyAuth::RenewNow() {
  MutexLock lock(mu_);
  force_ = true;
  backoff_ = std::chrono::milliseconds(0);
  next_attempt_ = {};
  if (config_.auth == AblyConfig::Auth::kBearer) refused_ = false;  // try it once more
}

std::optional<std::string> AblyAuth::Problem() const {
  MutexLock lock(mu_);
  return problem_;
}

void AblyAuth::SetProblemLocked(std::optional<std::string> problem, bool from_rejection) {
  if (problem && problem != problem_) spdlog::error("credentials: {}", *problem);
  problem_ = std::move(problem);
  problem_from_rejection_ = from_rejection;
}

}  // namespace presenced
