#include "daemon_harness.h"

#include <sstream>

namespace presenced::testing {

std::optional<double> MetricValue(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series, 0) != 0 || line.size() <= series.size()) continue;
    if (line[series.size()] != ' ') continue;
    return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

DaemonHarness::DaemonHarness(TempDir& dir, std::string config_body,
                             std::map<std::string, std::string> env)
    : dir_(dir), env_(std::move(env)) {
  // A proxy in the developer's environment must not reach the fakes on 127.0.0.1 (an empty
  // variable is no proxy); a test that wants one passes it.
  for (const char* name :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    env_.try_emplace(name, "");
  }
  RewriteConfig(config_body);
}

void DaemonHarness::RewriteConfig(const std::string& config_body) {
  config_body_ = config_body;
  const std::string http = std::string("http:\n") + (lifecycle_ ? "  lifecycle: true\n" : "") +
                           (status_members_ ? "  status_members: true\n" : "") +
                           "  listen: 127.0.0.1:0\n" + http_lines_;
  config_path_ = dir_.WriteFile("presenced.yaml",
                                "state:\n  dir: " + dir_.path() + "/state\n" + http + config_body);
}

void DaemonHarness::AddHttpLines(const std::string& lines) {
  http_lines_ += lines;
  RewriteConfig(config_body_);
}

void DaemonHarness::EnableLifecycle() {
  lifecycle_ = true;
  RewriteConfig(config_body_);
}

void DaemonHarness::EnableStatusMembers() {
  status_members_ = true;
  RewriteConfig(config_body_);
}

bool DaemonHarness::Start(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{PRESENCED_BINARY, "--config", config_path_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv, env_);
  const auto line = process_->WaitForStderr("http listening on ", std::chrono::seconds(20));
  if (!line) return false;
  port_ = static_cast<uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  return true;
}

bool DaemonHarness::WaitReady(std::chrono::milliseconds deadline) {
  return WaitFor([&] { return Request(port_, "GET", "/-/ready").status == 200; }, deadline);
}

bool DaemonHarness::WaitCycles(int count, std::chrono::milliseconds deadline) {
  const double target = Metric("presenced_poll_cycles_total") + count;
  return WaitFor([&] { return Metric("presenced_poll_cycles_total") >= target; }, deadline);
}

double DaemonHarness::Metric(const std::string& series) const {
  return MetricValue(Metrics(), series).value_or(-1);
}

}  // namespace presenced::testing
