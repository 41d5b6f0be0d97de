#pragma once

// AblyClock: Ably's clock as presenced knows it (CONTRACT §1 "Time"; Ably client spec RSC16, and
// RSA10k: the local clock "is not guaranteed to be accurate"). Presence history filters `start`
// and `end` on when Ably received each message, and token expiry is Ably's time too, so those
// are computed on this clock, not on the host's.
//
// A Clock whose NowMs() is Ably's time: the last GET /time answer, corrected by half its round
// trip, carried forward on the host's steady clock, so a step of the host's wall clock changes
// nothing until the next measurement; before the first measurement it is the host's wall clock.
// SteadyNow, WaitUntil and SleepUntil are the host clock's. Measure() asks Ably
// (GET {endpoint}/time, no credentials, not billed) and publishes
// presenced_ably_clock_offset_seconds (Ably's time minus the host's). The owner measures at start
// and whenever MeasureDue(): every 10 minutes, and a minute after a failed attempt.
//
// Thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/result.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced {

class AblyClock final : public Clock {
 public:
  static constexpr std::chrono::minutes kRemeasure{10};
  static constexpr std::chrono::minutes kRetry{1};

  // `host` and `metrics` must outlive it.
  AblyClock(const Clock& host, Metrics& metrics) : host_(host), metrics_(metrics) {}

  // Ably's time now (ms since the epoch); the host's wall clock until a measurement.
  int64_t NowMs() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override { return host_.SteadyNow(); }
  bool WaitUntil(std::condition_variable& cv, ClockLock& lock,
                 std::chrono::steady_clock::time_point deadline,
                 const std::function<bool()>& woken) const override {
    return host_.WaitUntil(cv, lock, deadline, woken);
  }
  bool SleepUntil(std::chrono::steady_clock::time_point deadline,
                  const std::atomic<bool>& cancel) const override {
    return host_.SleepUntil(deadline, cancel);
  }

  // Sends GET {config.endpoint}/time and records the answer; an Error says why not (it never
  // holds a secret: the request carries none). Counted in presenced_api_requests_total.
  Status Measure(HttpClient& http, const AblyConfig& config);
  // Records that Ably answered `ably_ms` to a request sent at `sent` and answered at `received`
  // (host steady clock): Ably's time at `received` is ably_ms plus half the round trip.
  void Record(int64_t ably_ms, std::chrono::steady_clock::time_point sent,
              std::chrono::steady_clock::time_point received);
  // True when a measurement is due: never tried, the last success is kRemeasure old, or the last
  // failure kRetry old.
  bool MeasureDue() const;

  // Ably's time minus the host's wall clock (ms) as of the last measurement; nullopt before one.
  std::optional<int64_t> OffsetMs() const;
  // The round trip of the last measurement.
  std::optional<std::chrono::milliseconds> RoundTrip() const;

 private:
  const Clock& host_;
  Metrics& metrics_;
  mutable Mutex mu_;
  bool measured_ GUARDED_BY(mu_) = false;
  int64_t anchor_ably_ms_ GUARDED_BY(mu_) = 0;  // Ably's time at anchor_steady_
  std::chrono::steady_clock::time_point anchor_steady_ GUARDED_BY(mu_){};
  int64_t offset_ms_ GUARDED_BY(mu_) = 0;
  std::chrono::milliseconds round_trip_ GUARDED_BY(mu_){0};
  bool tried_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point next_due_ GUARDED_BY(mu_){};
};

// Parses GET /time's answer, `[<ms>]`; nullopt when it is anything else.
std::optional<int64_t> ParseAblyTime(std::string_view body);

}  // namespace presenced
