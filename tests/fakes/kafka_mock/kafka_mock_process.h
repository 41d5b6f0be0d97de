#pragma once

// KafkaMockProcess: runs the kafka_mock program (tests/fakes/kafka_mock/main.cc) for an
// integration test and drives it over its control port: brokers down and up, errors injected.

#include <memory>
#include <string>
#include <vector>

#include "test_support.h"

namespace presenced::testing {

class KafkaMockProcess {
 public:
  // Starts `kafka_mock <args>` and waits for its bootstrap and control lines; throws if it does
  // not come up.
  explicit KafkaMockProcess(const std::vector<std::string>& args = {});
  ~KafkaMockProcess();

  const std::string& bootstrap() const { return bootstrap_; }
  // Sends one control line ("down -1", "err 0 29 50", …) and returns the reply ("ok …").
  std::string Command(const std::string& line);
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string bootstrap_;
  int control_port_ = 0;
};

}  // namespace presenced::testing
