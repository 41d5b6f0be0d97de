#pragma once

// Shared pieces of the "against the real Ably" integration tests (ably_*_test.cc): a config
// builder pointing presenced at a fake Ably, and readers for printed events and /-/ready.

#include <algorithm>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"

namespace presenced::testing {

// The YAML of a presenced polling `fake` every 200 ms and printing events; `ably_extra` is
// indented under `ably:`, `rest` follows at top level (channels, discovery, …).
inline std::string AblyTestConfig(const FakeAblyServer& fake, const std::string& ably_extra,
                                  const std::string& rest) {
  return "ably:\n  endpoint: " + fake.BaseUrl() + "\n  request_timeout: 3s\n" + ably_extra +
         "poll:\n  interval: 200ms\noutput:\n  stdout: true\n" + rest;
}

// Events printed so far as "action channel clientId".
inline std::vector<std::string> PrintedEvents(const ChildProcess& process) {
  std::vector<std::string> out;
  for (const auto& line : process.StdoutLines()) {
    auto field = [&](const std::string& key) {
      const auto at = line.find("\"" + key + "\":\"");
      if (at == std::string::npos) return std::string();
      const auto start = at + key.size() + 4;
      return line.substr(start, line.find('"', start) - start);
    };
    out.push_back(field("action") + " " + field("channel") + " " + field("clientId"));
  }
  return out;
}

inline bool Printed(const ChildProcess& process, const std::string& event) {
  const auto events = PrintedEvents(process);
  return std::find(events.begin(), events.end(), event) != events.end();
}

inline size_t PrintedLeaves(const ChildProcess& process) {
  const auto events = PrintedEvents(process);
  return std::count_if(events.begin(), events.end(),
                       [](const std::string& e) { return e.starts_with("leave "); });
}

// True when /-/ready answers 503 with a body containing `reason`.
inline bool NotReadyBecause(const DaemonHarness& daemon, const std::string& reason) {
  const HttpReply reply = Get(daemon.port(), "/-/ready");
  return reply.status == 503 && reply.body.find(reason) != std::string::npos;
}

inline bool Ready(const DaemonHarness& daemon) {
  return Get(daemon.port(), "/-/ready").status == 200;
}

}  // namespace presenced::testing
