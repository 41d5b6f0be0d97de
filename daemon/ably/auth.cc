#include "ably/auth.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "ably/rest_request.h"
#include "ably/token_answer.h"
#include "net/url.h"

namespace presenced {
namespace {

// A token is renewed this long before it expires: a tenth of its life, between 1 s and 60 s.
constexpr int64_t kMinRenewMarginMs = 1'000;
constexpr int64_t kMaxRenewMarginMs = 60'000;
// After a failed auth_url fetch, requests reuse the old token (or fail) this long before the
// next attempt, so an unreachable auth server does not add a timeout to every request.
constexpr int64_t kFetchRetryMs = 5'000;
constexpr uint64_t kMaxTokenAnswerBytes = 256 * 1024;

std::string Stamp(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot read " + path + ": " + std::strerror(errno)};
  std::string text;
  char buffer[4096];
  while (text.size() < kMaxTokenAnswerBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return Error{"cannot read " + path + ": " + std::strerror(error)};
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// The auth_url without user info, query or fragment (they may carry secrets).
std::string ShownUrl(const std::string& url) {
  Result<Url> parsed = ParseUrl(url.substr(0, url.find_first_of("?#")));
  if (!parsed.ok()) return "auth_url";
  return parsed->Authority() + parsed->target;
}

std::string Describe(const AblyError& error) {
  return "code " + std::to_string(error.code) + ": " + error.message;
}

}  // namespace

AblyAuth::AblyAuth(const AblyConfig& config, HttpClient& http, Metrics& metrics, const Clock& clock)
    : config_(config), http_(http), metrics_(metrics), clock_(clock) {
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
  if (config_.auth == AblyConfig::Auth::kTokenFile) {
    struct stat st {};
    if (::stat(config_.token_file.c_str(), &st) == 0) file_stamp_ = Stamp(st);
  }
}

Result<std::string> AblyAuth::Authorization() {
  MutexLock lock(mu_);
  if (config_.auth == AblyConfig::Auth::kTokenFile) {
    (void)ReloadTokenFileLocked(/*after_token_error=*/false);  // a no-op unless it changed
  } else if (config_.auth == AblyConfig::Auth::kAuthUrl) {
    const int64_t now = clock_.NowMs();
    const bool due = !have_token_ || (renew_at_ms_ > 0 && now >= renew_at_ms_);
    const bool expired = !have_token_ || (expires_ms_ > 0 && now >= expires_ms_);
    if (due && now >= next_attempt_ms_) {
      (void)FetchFromAuthUrlLocked(/*renewal=*/have_token_, /*critical=*/expired);
    }
  }
  if (header_.empty()) {
    return Error{problem_.value_or("no Ably token yet")};
  }
  return header_;
}

bool AblyAuth::RenewAfterTokenError(const std::string& used, const AblyError& error) {
  MutexLock lock(mu_);
  if (used != header_) return true;  // another request renewed meanwhile
  Status renewed = Ok{};
  switch (config_.auth) {
    case AblyConfig::Auth::kBasic:
      return false;
    case AblyConfig::Auth::kBearer:
      SetProblemLocked("the token from " + config_.token_env + " (ably.token_env) was rejected (" +
                           Describe(error) +
                           ") and cannot be renewed; use ably.token_file or ably.auth_url",
                       /*from_rejection=*/true);
      return false;
    case AblyConfig::Auth::kTokenFile:
      file_stamp_.clear();  // re-read even if the file looks unchanged
      renewed = ReloadTokenFileLocked(/*after_token_error=*/true);
      if (renewed.ok() && used == header_) {
        metrics_.TokenRenewal(false);
        renewed = Error{"ably.token_file " + config_.token_file + " still holds the token Ably " +
                        "rejected (" + Describe(error) + ")"};
      }
      break;
    case AblyConfig::Auth::kAuthUrl:
      renewed = FetchFromAuthUrlLocked(/*renewal=*/true, /*critical=*/true);
      break;
  }
  if (!renewed.ok()) {
    SetProblemLocked(renewed.error().message, /*from_rejection=*/false);
    return false;
  }
  spdlog::info("Ably token renewed after a token error ({})", Describe(error));
  return true;
}

void AblyAuth::Rejected(const AblyError& error) {
  MutexLock lock(mu_);
  if (problem_) return;  // the renewal failure (or the first rejection) says more
  SetProblemLocked("Ably rejects the credentials (HTTP 401, " + Describe(error) + ")",
                   /*from_rejection=*/true);
}

void AblyAuth::Accepted() {
  MutexLock lock(mu_);
  if (problem_) {
    spdlog::info("Ably accepts the credentials again");
    problem_.reset();
  }
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

Status AblyAuth::ReloadTokenFileLocked(bool after_token_error) {
  struct stat st {};
  if (::stat(config_.token_file.c_str(), &st) != 0) {
    const std::string message =
        "cannot read ably.token_file " + config_.token_file + ": " + std::strerror(errno);
    if (after_token_error) metrics_.TokenRenewal(false);
    return Error{message};
  }
  const std::string stamp = Stamp(st);
  if (stamp == file_stamp_) return Ok{};
  Result<std::string> token = ReadSmallFile(config_.token_file);
  if (!token.ok() || token->empty() ||
      std::any_of(token->begin(), token->end(), [](char c) { return c <= ' ' || c == 0x7f; })) {
    // A file being rewritten may be empty for a moment: keep the old token, try again later.
    if (after_token_error) metrics_.TokenRenewal(false);
    return Error{token.ok() ? "ably.token_file " + config_.token_file +
                                  " is empty or holds spaces or control characters"
                            : token.error().message};
  }
  file_stamp_ = stamp;
  const std::string header = "Bearer " + Base64Encode(*token);
  if (header == header_) return Ok{};
  header_ = header;
  metrics_.TokenRenewal(true);
  spdlog::info("Ably token re-read from {}", config_.token_file);
  if (problem_ && !problem_from_rejection_) problem_.reset();
  return Ok{};
}

Status AblyAuth::FetchFromAuthUrlLocked(bool renewal, bool critical) {
  auto fail = [&](const std::string& why) REQUIRES(mu_) -> Status {
    next_attempt_ms_ = clock_.NowMs() + kFetchRetryMs;
    if (renewal) metrics_.TokenRenewal(false);
    const std::string message =
        "cannot get an Ably token from " + ShownUrl(config_.auth_url) + " (ably.auth_url): " + why;
    if (critical) {
      SetProblemLocked(message, /*from_rejection=*/false);
    } else {
      spdlog::warn("{}; using the current token until it expires", message);
    }
    return Error{message};
  };
  HttpRequest request;
  request.url = config_.auth_url;
  for (const auto& [name, value] : config_.auth_headers) request.headers.emplace_back(name, value);
  request.headers.emplace_back("Accept", "application/json, application/jwt, text/plain");
  request.connect_timeout = config_.connect_timeout;
  request.request_timeout = config_.request_timeout;
  request.max_response_bytes = kMaxTokenAnswerBytes;
  HttpResult result = http_.Send(request);
  if (!result.ok()) return fail(result.error().message);
  const HttpResponse& response = result.response();
  if (response.status < 200 || response.status > 299) {
    return fail("HTTP " + std::to_string(response.status));
  }
  Result<TokenAnswer> answer = ParseTokenAnswer(response.Header("Content-Type"), response.body);
  if (!answer.ok()) return fail(answer.error().message);
  int64_t expires_ms = answer->expires_ms;
  std::string token = answer->token;
  if (answer->kind == TokenAnswer::Kind::kTokenRequest) {
    Result<std::string> exchanged =
        ExchangeTokenRequestLocked(answer->key_name, answer->request_json, expires_ms);
    if (!exchanged.ok()) return fail(exchanged.error().message);
    token = std::move(*exchanged);
  }
  if (renewal) metrics_.TokenRenewal(true);
  AdoptTokenLocked(std::move(token), expires_ms);
  spdlog::info(
      "Ably token {} from {}{}", renewal ? "renewed" : "obtained", ShownUrl(config_.auth_url),
      expires_ms > 0 ? " (expires in " + std::to_string((expires_ms - clock_.NowMs()) / 1000) + "s)"
                     : "");
  return Ok{};
}

Result<std::string> AblyAuth::ExchangeTokenRequestLocked(const std::string& key_name,
                                                         const std::string& request_json,
                                                         int64_t& expires_ms) {
  Result<Url> endpoint = ParseUrl(config_.endpoint);
  if (!endpoint.ok()) return Error{"invalid ably.endpoint"};
  std::string base = endpoint->Authority() + endpoint->target;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request;
  request.method = "POST";
  request.url = base + "/keys/" + PercentEncode(key_name) + "/requestToken";
  request.headers = AblyRequestHeaders();  // no Authorization: the TokenRequest is signed
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = request_json;
  request.connect_timeout = config_.connect_timeout;
  request.request_timeout = config_.request_timeout;
  request.max_response_bytes = kMaxTokenAnswerBytes;
  const auto sent = clock_.SteadyNow();
  HttpResult result = http_.Send(request);
  const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - sent).count();
  metrics_.ApiRequest(result.ok() ? std::to_string(result.response().status) : "error", seconds);
  if (!result.ok()) return Error{"requestToken: " + result.error().message};
  const HttpResponse& response = result.response();
  if (response.status < 200 || response.status > 299) {
    const AblyError error =
        ParseBatchPresence(response.status, response.body, response.Header("X-Ably-ErrorCode"),
                           response.Header("X-Ably-ErrorMessage"))
            .error;
    return Error{"requestToken answered HTTP " + std::to_string(response.status) + ", " +
                 Describe(error)};
  }
  Result<TokenAnswer> details = ParseTokenAnswer("application/json", response.body);
  if (!details.ok()) return Error{"requestToken: " + details.error().message};
  if (details->kind != TokenAnswer::Kind::kToken) {
    return Error{"requestToken did not answer TokenDetails"};
  }
  expires_ms = details->expires_ms;
  return std::move(details->token);
}

void AblyAuth::AdoptTokenLocked(std::string token, int64_t expires_ms) {
  const int64_t now = clock_.NowMs();
  header_ = "Bearer " + Base64Encode(token);
  have_token_ = true;
  expires_ms_ = expires_ms;
  renew_at_ms_ = 0;
  if (expires_ms > now) {
    const int64_t margin =
        std::clamp((expires_ms - now) / 10, kMinRenewMarginMs, kMaxRenewMarginMs);
    renew_at_ms_ = expires_ms - margin;
  }
  next_attempt_ms_ = 0;
  if (problem_ && !problem_from_rejection_) problem_.reset();
}

}  // namespace presenced
