#pragma once

// ReadTopic: reads a Kafka topic back from the beginning with librdkafka's consumer, as a
// receiver would, to check what presenced wrote.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace presenced::testing {

struct ConsumedMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Returns every message of `topic` on `bootstrap`, each partition's in offset order, once every
// partition has been read to its end and at least `at_least` messages came (or `deadline`
// passed: then what was read).
std::vector<ConsumedMessage> ReadTopic(
    const std::string& bootstrap, const std::string& topic, size_t at_least = 0,
    std::chrono::milliseconds deadline = std::chrono::seconds(20));

}  // namespace presenced::testing
