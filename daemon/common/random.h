#pragma once

// Random: the source of chance for everything that jitters or shuffles (retry jitter, fallback
// host order). Production code uses SeededRandom; tests pass a seeded or scripted one, so what
// chance decides is reproducible (STYLE §4).

#include <cstdint>
#include <limits>
#include <random>

#include "common/mutex.h"

namespace presenced {

class Random {
 public:
  virtual ~Random() = default;
  // Returns a number uniformly distributed in [0, 1).
  virtual double Uniform01() = 0;
  // Returns a seed for another generator (a worker's own SeededRandom).
  uint64_t NextSeed() {
    return static_cast<uint64_t>(Uniform01() *
                                 static_cast<double>(std::numeric_limits<uint64_t>::max()));
  }
};

// SeededRandom: a 64-bit Mersenne Twister from one seed. Thread-safe (one mutex per draw).
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  double Uniform01() override {
    MutexLock lock(mu_);
    // generate_canonical may round up to 1.0 (LWG 2524): keep the contract's open bound.
    const double value = std::generate_canonical<double, 64>(engine_);
    return value < 1.0 ? value : 0.0;
  }

 private:
  Mutex mu_;
  std::mt19937_64 engine_ GUARDED_BY(mu_);
};

}  // namespace presenced
