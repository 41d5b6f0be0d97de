#pragma once

// Randoms (common/random.h) whose numbers a test chooses. Thread-safe, unlike what a worker
// would need, so a test may change the numbers while the code under test draws them.
//  - FakeRandom returns the number a test set, so a jittered delay is known exactly.
//  - ScriptedRandom answers the values a test gives it, in order, repeating the last one (0 when
//    none was given), and counts the draws.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "common/random.h"

namespace presenced::testing {

class FakeRandom final : public Random {
 public:
  explicit FakeRandom(double value = 0.5) : value_(value) {}
  double Uniform01() override { return value_.load(); }
  void Set(double value) { value_ = value; }

 private:
  std::atomic<double> value_;
};

class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::vector<double> values = {}) : values_(std::move(values)) {}
  double Uniform01() override {
    std::lock_guard lock(mu_);
    ++draws_;
    if (values_.empty()) return 0;
    const double value = values_[std::min(next_, values_.size() - 1)];
    ++next_;
    return value;
  }
  // How many values were drawn so far.
  size_t draws() const {
    std::lock_guard lock(mu_);
    return draws_;
  }

 private:
  mutable std::mutex mu_;  // guards everything below
  std::vector<double> values_;
  size_t next_ = 0;
  size_t draws_ = 0;
};

}  // namespace presenced::testing
