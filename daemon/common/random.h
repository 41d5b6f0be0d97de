#pragma once

// Random: the source of randomness for jitter, behind an interface so tests pick the numbers.
// Production code uses SeededRandom; tests pass a fake that returns what they need.
//
// Thread-safety: none. Each user (a worker thread, a pacer) owns its own instance.

#include <random>

namespace presenced {

class Random {
 public:
  virtual ~Random() = default;
  // Returns a uniformly distributed number in [0, 1).
  virtual double Uniform01() = 0;
};

// SeededRandom: std::mt19937_64 seeded from std::random_device, so two daemons started together
// do not retry in step. Not thread-safe.
class SeededRandom final : public Random {
 public:
  SeededRandom() : engine_(std::random_device{}()) {}
  double Uniform01() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace presenced
