#pragma once

// DaemonHarness: runs the real presenced binary against test fakes. It writes the config into a
// temp dir (state.dir included), starts the process with http.listen on 127.0.0.1:0, learns the
// bound port from the start-up log line, and offers HTTP helpers for the endpoints.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"
#include "test_support.h"

namespace presenced::testing {

inline constexpr const char* kFakeKey = "fakeapp.fakekey:fakesecret";
// The capability the README advises for kFakeKey (CONTRACT §1 "Capabilities"): presence sets
// (`subscribe`), presence history (`history`) and enumeration (`channel-metadata` on `*`).
inline constexpr const char* kAdvisedCapability =
    R"({"*":["subscribe","history","channel-metadata"]})";

// Options for a FakeAblyServer that expects kFakeKey with `capability`.
inline FakeAblyServer::Options FakeOptions(const std::string& capability = kAdvisedCapability) {
  FakeAblyServer::Options options;
  options.key = kFakeKey;
  options.capability = capability;
  return options;
}

// Returns the value of the first sample named exactly `series` (with its labels, if any, e.g.
// `presenced_events_total{action="enter"}`) in a Prometheus text exposition.
std::optional<double> MetricValue(const std::string& exposition, const std::string& series);

class DaemonHarness {
 public:
  // `config_body` is the YAML after the lines the harness adds (state.dir and http.listen).
  DaemonHarness(TempDir& dir, std::string config_body,
                std::map<std::string, std::string> env = {{"ABLY_API_KEY", kFakeKey}});

  // Starts presenced and waits for its HTTP port; false if it did not come up.
  bool Start(const std::vector<std::string>& extra_args = {});
  // Waits until /-/ready answers 200.
  bool WaitReady(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // Waits until `count` more poll cycles have finished (presenced_poll_cycles_total).
  bool WaitCycles(int count, std::chrono::milliseconds deadline = std::chrono::seconds(15));
  // Rewrites the config file (same harness lines) for a reload.
  void RewriteConfig(const std::string& config_body);
  // Adds `http.lifecycle: true` to the harness lines (POST /-/reload allowed) and rewrites the
  // config with it.
  void EnableLifecycle();
  // Adds `http.status_members: true` (clientIds and data on the status page) likewise.
  void EnableStatusMembers();
  // Adds `lines` (indented keys such as "  basic_auth_users: {...}\n") to the harness's `http:`
  // section and rewrites the config with them.
  void AddHttpLines(const std::string& lines);

  ChildProcess& process() { return *process_; }
  uint16_t port() const { return port_; }
  const std::string& config_path() const { return config_path_; }
  std::string Metrics() const { return Request(port_, "GET", "/metrics").body; }
  double Metric(const std::string& series) const;

 private:
  TempDir& dir_;
  std::map<std::string, std::string> env_;
  std::string config_path_;
  std::string config_body_;
  bool lifecycle_ = false;
  std::string http_lines_;
  bool status_members_ = false;
  uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace presenced::testing
