#pragma once

// FakeHttpClient: an HttpClient that records every request and answers with a scripted function.
// It also measures concurrency: the highest number of Send calls in progress at once. With
// HoldUntil(n, total), each call waits until n calls are in progress (or `total` calls have
// started), so a test can prove both that requests overlap and that they never exceed a cap.
// Thread-safe.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metrics.h"
#include "net/http_client.h"

namespace presenced::testing {

// Returns the value of one exposed series ("name" or "name{labels}"), or -1 when absent.
inline double MetricValue(const Metrics& metrics, const std::string& series) {
  std::stringstream in(metrics.Serialize());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

class FakeHttpClient final : public HttpClient {
 public:
  using Responder = std::function<HttpResult(const HttpRequest&)>;

  explicit FakeHttpClient(Responder responder = nullptr) : responder_(std::move(responder)) {}

  void SetResponder(Responder responder) {
    std::lock_guard<std::mutex> lock(mu_);
    responder_ = std::move(responder);
  }

  void HoldUntil(int concurrent, int total) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_concurrent_ = concurrent;
    hold_total_ = total;
  }

  HttpResult Send(const HttpRequest& request) override {
    Responder responder;
    {
      std::unique_lock<std::mutex> lock(mu_);
      requests_.push_back(request);
      send_times_.push_back(std::chrono::steady_clock::now());
      ++in_flight_;
      ++started_;
      max_in_flight_ = std::max(max_in_flight_, in_flight_);
      cv_.notify_all();
      if (hold_concurrent_ > 0) {
        // Deadline only as a safety net against a broken client; the tests never reach it.
        cv_.wait_for(lock, std::chrono::seconds(10),
                     [this] { return in_flight_ >= hold_concurrent_ || started_ >= hold_total_; });
      }
      responder = responder_;
    }
    HttpResult result = responder(request);
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    return result;
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::chrono::steady_clock::time_point> send_times() const {
    std::lock_guard<std::mutex> lock(mu_);
    return send_times_;
  }
  int max_in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  Responder responder_;
  std::vector<HttpRequest> requests_;
  std::vector<std::chrono::steady_clock::time_point> send_times_;
  int in_flight_ = 0;
  int started_ = 0;
  int max_in_flight_ = 0;
  int hold_concurrent_ = 0;
  int hold_total_ = 0;
};

}  // namespace presenced::testing
