#pragma once

// FakeRandom: a Random (common/random.h) that returns the number a test set, so a jittered delay
// is known exactly. Thread-safe, unlike the production SeededRandom, so a test may change the
// number while a worker uses it.

#include <atomic>
#include <memory>

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

}  // namespace presenced::testing
