#include "ably/ably_clock.h"

#include <charconv>

#include "ably/rest_request.h"

namespace presenced {

std::optional<int64_t> ParseAblyTime(std::string_view body) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' ||
                             text.front() == '\t')) {
      text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                             text.back() == '\t')) {
      text.remove_suffix(1);
    }
    return text;
  };
  body = trim(body);
  if (body.size() < 3 || body.front() != '[' || body.back() != ']') return std::nullopt;
  const std::string_view number = trim(body.substr(1, body.size() - 2));
  int64_t ms = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), ms);
  if (error != std::errc() || end != number.data() + number.size() || ms <= 0) return std::nullopt;
  return ms;
}

int64_t AblyClock::NowMs() const {
  MutexLock lock(mu_);
  if (!measured_) return host_.NowMs();
  return anchor_ably_ms_ +
         std::chrono::duration_cast<std::chrono::milliseconds>(host_.SteadyNow() - anchor_steady_)
             .count();
}

void AblyClock::Record(int64_t ably_ms, std::chrono::steady_clock::time_point sent,
                       std::chrono::steady_clock::time_point received) {
  const auto round_trip = std::chrono::duration_cast<std::chrono::milliseconds>(received - sent);
  const int64_t at_received = ably_ms + round_trip.count() / 2;
  // The host's wall clock at `received` was NowMs() minus the time since.
  const int64_t offset =
      at_received - host_.NowMs() +
      std::chrono::duration_cast<std::chrono::milliseconds>(host_.SteadyNow() - received).count();
  {
    MutexLock lock(mu_);
    measured_ = tried_ = true;
    anchor_ably_ms_ = at_received;
    anchor_steady_ = received;
    offset_ms_ = offset;
    round_trip_ = round_trip;
    next_due_ = received + kRemeasure;
  }
  metrics_.SetAblyClockOffset(static_cast<double>(offset) / 1000.0);
}

bool AblyClock::MeasureDue() const {
  MutexLock lock(mu_);
  return !tried_ || host_.SteadyNow() >= next_due_;
}

std::optional<int64_t> AblyClock::OffsetMs() const {
  MutexLock lock(mu_);
  if (!measured_) return std::nullopt;
  return offset_ms_;
}

std::optional<std::chrono::milliseconds> AblyClock::RoundTrip() const {
  MutexLock lock(mu_);
  if (!measured_) return std::nullopt;
  return round_trip_;
}

Status AblyClock::Measure(HttpClient& http, const AblyConfig& config) {
  auto failed = [&](std::string why) -> Status {
    MutexLock lock(mu_);
    tried_ = true;
    next_due_ = host_.SteadyNow() + kRetry;
    return Error{"GET /time: " + std::move(why)};
  };
  std::string base = config.endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request;
  request.url = base + "/time";
  request.headers = AblyRequestHeaders();  // RSC16: no credentials needed
  request.connect_timeout = config.connect_timeout;
  request.request_timeout = config.request_timeout;
  request.max_response_bytes = 4096;
  const auto sent = host_.SteadyNow();
  HttpResult result = http.Send(request);
  const auto received = host_.SteadyNow();
  metrics_.ApiRequest(result.ok() ? std::to_string(result.response().status) : "error",
                      std::chrono::duration<double>(received - sent).count());
  if (!result.ok()) return failed(result.error().message);
  const HttpResponse& response = result.response();
  if (response.status != 200) return failed("HTTP " + std::to_string(response.status));
  const std::optional<int64_t> ably_ms = ParseAblyTime(response.body);
  if (!ably_ms) return failed("the answer is not [<ms>]");
  Record(*ably_ms, sent, received);
  return Ok{};
}

}  // namespace presenced
