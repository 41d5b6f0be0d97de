// fake_ably: the fake Ably REST server as a program, for the demo, scripts and benchmarks.
//
//   fake_ably [--host 127.0.0.1] [--port 0] [--key appId.keyId:secret] [--token T]
//             [--capability JSON] [--max-channels 100] [--history-retention-ms 120000]
//             [--clock-offset-ms 0] [--visibility-delay-ms 0]
//             [--simulate channels=N,members=M,churn=C,seed=S[,prefix=sim:]]
//
// Prints exactly one line, `fake_ably listening on <host>:<port>`, once it accepts connections,
// then serves until SIGTERM or SIGINT (exit 0). Bad command line: exit 2; cannot listen: exit 1.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "fake_ably/capability.h"
#include "fake_ably/fake_ably_server.h"
#include "fake_ably/presence_simulator.h"

namespace {

using presenced::testing::FakeAblyServer;
using presenced::testing::PresenceSimulator;
using presenced::testing::SimulationOptions;

constexpr char kUsage[] =
    "usage: fake_ably [--host 127.0.0.1] [--port 0] [--key appId.keyId:secret] [--token T]\n"
    "                 [--capability JSON] [--max-channels 100] [--history-retention-ms 120000]\n"
    "                 [--clock-offset-ms 0] [--visibility-delay-ms 0]\n"
    "                 [--simulate channels=N,members=M,churn=C,seed=S[,prefix=sim:]]\n";

struct CommandLine {
  FakeAblyServer::Options options;
  std::optional<SimulationOptions> simulation;
  std::optional<std::chrono::milliseconds> history_retention;
  std::chrono::milliseconds clock_offset{0};
  std::chrono::milliseconds visibility_delay{0};
};

bool ParseCount(const std::string& text, unsigned long max, unsigned long& out) {
  char* end = nullptr;
  out = std::strtoul(text.c_str(), &end, 10);
  return !text.empty() && *end == '\0' && out <= max;
}

// Returns the parsed command line, or an error message for stderr.
presenced::Result<CommandLine> Parse(int argc, char** argv) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return presenced::Error{"missing value for " + flag};
    }
    unsigned long number = 0;
    if (flag == "--host") {
      line.options.host = value;
    } else if (flag == "--port") {
      if (!ParseCount(value, 65535, number)) return presenced::Error{"bad --port " + value};
      line.options.port = static_cast<uint16_t>(number);
    } else if (flag == "--key") {
      line.options.key = value;
    } else if (flag == "--token") {
      line.options.token = value;
    } else if (flag == "--capability") {
      if (!presenced::testing::Capability::Parse(value)) {
        return presenced::Error{"bad --capability " + value};
      }
      line.options.capability = value;
    } else if (flag == "--clock-offset-ms") {
      char* end = nullptr;
      const long long offset = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') return presenced::Error{"bad --clock-offset-ms " + value};
      line.clock_offset = std::chrono::milliseconds(offset);
    } else if (flag == "--visibility-delay-ms") {
      if (!ParseCount(value, 600'000, number)) {
        return presenced::Error{"bad --visibility-delay-ms " + value};
      }
      line.visibility_delay = std::chrono::milliseconds(number);
    } else if (flag == "--max-channels") {
      if (!ParseCount(value, 1000000, number) || number == 0) {
        return presenced::Error{"bad --max-channels " + value};
      }
      line.options.max_channels = number;
    } else if (flag == "--history-retention-ms") {
      if (!ParseCount(value, 86'400'000, number)) {
        return presenced::Error{"bad --history-retention-ms " + value};
      }
      line.history_retention = std::chrono::milliseconds(number);
    } else if (flag == "--simulate") {
      auto simulation = presenced::testing::ParseSimulationSpec(value);
      if (!simulation) return simulation.error();
      line.simulation = *simulation;
    } else {
      return presenced::Error{"unknown flag " + flag};
    }
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  auto line = Parse(argc, argv);
  if (!line) {
    std::cerr << "fake_ably: " << line.error().message << "\n" << kUsage;
    return 2;
  }
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // sigwait() below is the only place they are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  FakeAblyServer server(line->options);
  if (line->history_retention) server.SetHistoryRetention(*line->history_retention);
  server.SetClockOffset(line->clock_offset);
  server.SetVisibilityDelay(line->visibility_delay);
  std::unique_ptr<PresenceSimulator> simulator;
  if (line->simulation) {
    simulator = std::make_unique<PresenceSimulator>(server, *line->simulation);
    simulator->Populate();
  }
  uint16_t port = 0;
  try {
    port = server.Start();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (simulator) simulator->Start();
  std::cout << "fake_ably listening on " << line->options.host << ":" << port << std::endl;

  int signo = 0;
  sigwait(&stop_signals, &signo);
  if (simulator) simulator->Stop();
  server.Stop();
  return 0;
}
