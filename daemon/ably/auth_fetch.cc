// AblyAuth's I/O: reading token_file and fetching from auth_url (with the TokenRequest exchange).
// Neither holds AblyAuth's lock while it waits on the network.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "ably/auth.h"
#include "ably/auth_text.h"
#include "ably/rest_request.h"
#include "ably/token_answer.h"
#include "net/url.h"

namespace presenced {
namespace {

constexpr uint64_t kMaxTokenAnswerBytes = 256 * 1024;

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

}  // namespace

std::string FileStamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

std::string ShownAuthUrl(const std::string& url) {
  Result<Url> parsed = ParseUrl(url.substr(0, url.find_first_of("?#")));
  if (!parsed.ok()) return "auth_url";
  return parsed->Authority() + parsed->target;
}

std::string DescribeAblyError(const AblyError& error) {
  return "code " + std::to_string(error.code) + ": " + error.message;
}

Status AblyAuth::ReloadTokenFileLocked(bool force, bool after_rejection) {
  const std::string stamp = FileStamp(config_.token_file);
  if (stamp.empty()) {
    if (after_rejection) metrics_.TokenRenewal(false);
    return Error{"cannot read ably.token_file " + config_.token_file + ": " + std::strerror(errno)};
  }
  if (stamp == file_stamp_ && !force) return Ok{};
  Result<std::string> token = ReadSmallFile(config_.token_file);
  if (!token.ok() || token->empty() ||
      std::any_of(token->begin(), token->end(), [](char c) { return c <= ' ' || c == 0x7f; })) {
    // A file being rewritten may be empty for a moment: keep the old token, try again later.
    if (after_rejection) metrics_.TokenRenewal(false);
    return Error{token.ok() ? "ably.token_file " + config_.token_file +
                                  " is empty or holds spaces or control characters"
                            : token.error().message};
  }
  file_stamp_ = stamp;
  const std::string header = "Bearer " + Base64Encode(*token);
  if (header == header_) return Ok{};  // the same token (refused stays refused)
  header_ = header;
  refused_ = accepted_ = false;
  metrics_.TokenRenewal(true);
  spdlog::info("Ably token re-read from {}", config_.token_file);
  if (problem_ && !problem_from_rejection_) problem_.reset();
  return Ok{};
}

Result<AblyAuth::Fetched> AblyAuth::FetchFromAuthUrl() const {
  HttpRequest request;
  request.url = config_.auth_url;
  for (const auto& [name, value] : config_.auth_headers) request.headers.emplace_back(name, value);
  request.headers.emplace_back("Accept", "application/json, application/jwt, text/plain");
  request.connect_timeout = config_.connect_timeout;
  request.request_timeout = config_.request_timeout;
  request.max_response_bytes = kMaxTokenAnswerBytes;
  HttpResult result = http_.Send(request);
  if (!result.ok()) return Error{result.error().message};
  const HttpResponse& response = result.response();
  if (response.status < 200 || response.status > 299) {
    return Error{"HTTP " + std::to_string(response.status)};
  }
  Result<TokenAnswer> answer = ParseTokenAnswer(response.Header("Content-Type"), response.body);
  if (!answer.ok()) return answer.error();
  if (answer->kind == TokenAnswer::Kind::kTokenRequest) {
    return ExchangeTokenRequest(answer->key_name, answer->request_json);
  }
  return Fetched{std::move(answer->token), answer->expires_ms};
}

Result<AblyAuth::Fetched> AblyAuth::ExchangeTokenRequest(const std::string& key_name,
                                                         const std::string& request_json) const {
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
                 DescribeAblyError(error)};
  }
  Result<TokenAnswer> details = ParseTokenAnswer("application/json", response.body);
  if (!details.ok()) return Error{"requestToken: " + details.error().message};
  if (details->kind != TokenAnswer::Kind::kToken) {
    return Error{"requestToken did not answer TokenDetails"};
  }
  return Fetched{std::move(details->token), details->expires_ms};
}

}  // namespace presenced
