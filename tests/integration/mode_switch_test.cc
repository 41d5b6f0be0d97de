// presence.mode switched by reload (SIGHUP) between snapshot and history, against the fake Ably
// (which records presence history as members change): a change reported before a switch is
// never reported again after it, however often the mode changes.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"

namespace presenced::testing {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ModeSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    fake_.Enter("room", "bob", "kb", R"("1")");
  }

  std::string Config(const std::string& mode) const {
    return AblyTestConfig(
        fake_, "", "channels: [room]\npresence:\n  mode: " + mode + "\n  reconcile_every: 1000\n");
  }

  // Rewrites the config with `mode`, sends SIGHUP and waits until the reload was applied.
  void Switch(DaemonHarness& daemon, const std::string& mode) {
    auto applied = [&] {
      const std::string log = daemon.process().Stderr();
      size_t n = 0;
      for (size_t at = log.find("reload: config"); at != std::string::npos;
           at = log.find("reload: config", at + 1)) {
        ++n;
      }
      return n;
    };
    const size_t before = applied();
    daemon.RewriteConfig(Config(mode));
    daemon.process().Signal(SIGHUP);
    ASSERT_TRUE(WaitFor([&] { return applied() > before; })) << daemon.process().Stderr();
  }

  // True once presenced has read room's presence history up to `ms` (Ably's clock is the fake's).
  bool HistoryReadUpTo(int64_t ms) const {
    for (const RecordedRequest& request : fake_.Requests()) {
      if (request.path != "/channels/room/presence/history") continue;
      const size_t at = request.query.find("end=");
      if (at != std::string::npos && std::stoll(request.query.substr(at + 4)) >= ms) return true;
    }
    return false;
  }

  // Events printed so far per "action clientId".
  static std::map<std::string, int> Counts(DaemonHarness& daemon) {
    std::map<std::string, int> out;
    for (const std::string& event : PrintedEvents(daemon.process())) {
      ++out[event.substr(0, event.find(' ')) + " " + event.substr(event.rfind(' ') + 1)];
    }
    return out;
  }

  FakeAblyServer fake_{FakeOptions()};
  TempDir dir_;
};

TEST_F(ModeSwitchTest, ChangesReportedBeforeASwitchToHistoryAreNotReportedAgain) {
  DaemonHarness daemon(dir_, Config("snapshot"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  fake_.Enter("room", "carol", "kc", R"("hi")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room carol"); }));
  ASSERT_TRUE(fake_.Leave("room", "carol", "kc"));
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave room carol"); }));
  const int64_t left_at = NowMs();
  Switch(daemon, "history");
  // History is read over carol's visit, which the snapshots already reported.
  ASSERT_TRUE(WaitFor([&] { return HistoryReadUpTo(left_at + 1); }));
  ASSERT_TRUE(daemon.WaitCycles(2));
  const auto counts = Counts(daemon);
  EXPECT_EQ(counts, (std::map<std::string, int>{{"enter carol", 1}, {"leave carol", 1}}))
      << daemon.process().Stdout();
}

TEST_F(ModeSwitchTest, ManySwitchesReportEveryChangeOnce) {
  DaemonHarness daemon(dir_, Config("snapshot"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  // Visits reported by snapshots, each followed by a quick switch to history and back, as a
  // storm of reloads does; then history is read over all of them.
  constexpr int kVisits = 3;
  for (int i = 0; i < kVisits; ++i) {
    const std::string client = "u" + std::to_string(i);
    fake_.Enter("room", client, "k" + client, R"("x")");
    ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room " + client); }));
    ASSERT_TRUE(fake_.Leave("room", client, "k" + client));
    ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave room " + client); }));
    Switch(daemon, "history");
    ASSERT_TRUE(daemon.WaitCycles(1));
    Switch(daemon, "snapshot");
  }
  const int64_t last_change = NowMs();
  Switch(daemon, "history");
  ASSERT_TRUE(WaitFor([&] { return HistoryReadUpTo(last_change + 1); }));
  ASSERT_TRUE(daemon.WaitCycles(2));
  std::map<std::string, int> expected;
  for (int i = 0; i < kVisits; ++i) {
    expected["enter u" + std::to_string(i)] = 1;
    expected["leave u" + std::to_string(i)] = 1;
  }
  EXPECT_EQ(Counts(daemon), expected) << daemon.process().Stdout();
}

}  // namespace
}  // namespace presenced::testing
