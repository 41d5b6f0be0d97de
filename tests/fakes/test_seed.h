#pragma once

// TestSeed: the seed of a randomized test. Every randomized test draws from one seed it prints,
// so a failure can be replayed: PRESENCED_TEST_SEED=<seed> ctest -R <test>.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace presenced::testing {

// Returns $PRESENCED_TEST_SEED when set, else `fallback` (a fixed seed keeps the test the same
// every run; pass std::random_device{}() to explore a new one each run). Prints the seed on
// stdout and records it as the test's "seed" property (ctest and the XML report show it).
inline uint64_t TestSeed(uint64_t fallback) {
  const char* forced = std::getenv("PRESENCED_TEST_SEED");
  const uint64_t seed = forced != nullptr && *forced != '\0' ? std::stoull(forced) : fallback;
  std::cout << "PRESENCED_TEST_SEED=" << seed << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

// A seed that differs from run to run, unless $PRESENCED_TEST_SEED fixes it.
inline uint64_t FreshTestSeed() { return TestSeed(std::random_device{}()); }

}  // namespace presenced::testing
