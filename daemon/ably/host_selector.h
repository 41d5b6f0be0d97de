#pragma once

// HostSelector: which Ably hosts a request tries, in order (RSC15, ABLY.md). The primary
// endpoint first, unless a fallback host worked in the last 10 minutes, which is then tried first;
// then up to three other fallback hosts in an order drawn from the injected Random. Thread-safe.

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/random.h"

namespace presenced {

class HostSelector {
 public:
  static constexpr int kMaxRetries = 3;
  static constexpr std::chrono::minutes kPreferFor{10};

  // `fallback_hosts` replace the endpoint host on retries; an empty list disables retries.
  // `clock` and `random` must outlive the selector.
  HostSelector(std::vector<std::string> fallback_hosts, const Clock& clock, Random& random);

  // Returns the hosts to try, at most 1 + kMaxRetries; "" is the primary endpoint.
  std::vector<std::string> Order();
  // Records that `host` answered without needing a retry ("" = primary).
  void Succeeded(const std::string& host);
  // Records that `host` failed with a retryable error.
  void Failed(const std::string& host);

 private:
  const std::vector<std::string> fallbacks_;
  const Clock& clock_;
  Random& random_;
  Mutex mu_;
  std::string preferred_ GUARDED_BY(mu_);  // a fallback host that worked; "" = none
  std::chrono::steady_clock::time_point preferred_until_ GUARDED_BY(mu_);
};

}  // namespace presenced
