// History mode on Ably's clock against the strict fake (issue 17): with Ably's clock 5 s ahead of
// this host's, or 5 s behind, and messages readable in history only 3 s after their timestamp,
// presenced with default settings misses no short visit and its reconciles correct nothing; and a
// read that would leave after its window left Ably's retention is not sent: the channel is
// compared with a snapshot instead, so nothing is missed silently.

#include <gtest/gtest.h>

#include <functional>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

double Corrections(const DaemonHarness& daemon) {
  double total = 0;
  for (const char* action : {"enter", "leave", "update"}) {
    total += daemon.Metric(std::string(R"(presenced_reconcile_corrections_total{action=")") +
                           action + "\"}");
  }
  return total;
}

// One daemon in history mode with the default history_lag, history_retention and
// reconcile_every, polling every 200 ms, against a fake whose clock is `offset` from this host's.
struct OffsetRun {
  explicit OffsetRun(milliseconds offset) {
    fake.Start();
    fake.SetClockOffset(offset);
    fake.SetVisibilityDelay(milliseconds(3'000));
    fake.Enter("room", "resident", "k0", R"("x")");
    daemon = std::make_unique<DaemonHarness>(
        dir, AblyTestConfig(
                 fake, "", "channels: [room]\npresence:\n  mode: history\nlog:\n  level: debug\n"));
  }
  FakeAblyServer fake{FakeOptions()};
  TempDir dir;
  std::unique_ptr<DaemonHarness> daemon;
};

TEST(AblyHistoryClockTest, NoShortVisitIsMissedAndReconcilesCorrectNothingWithAblyAheadOrBehind) {
  OffsetRun ahead(milliseconds(5'000)), behind(milliseconds(-5'000));
  for (OffsetRun* run : {&ahead, &behind}) {
    ASSERT_TRUE(run->daemon->Start());
    ASSERT_TRUE(run->daemon->WaitReady());
  }
  // For 18 cycles: a short visit each cycle (gone before the next poll), and a member who
  // enters and stays three cycles, so the reconcile the 20th cycle takes (about 4 s in) shows
  // members whose enter history has not been read up to yet.
  constexpr int kCycles = 18;
  auto both = [&](const std::function<void(FakeAblyServer&)>& change) {
    for (OffsetRun* run : {&ahead, &behind}) change(run->fake);
  };
  for (int i = 0; i < kCycles; ++i) {
    const std::string n = std::to_string(i);
    both([&](FakeAblyServer& fake) {
      fake.Enter("room", "short" + n, "s" + n, R"("hi")");
      fake.Leave("room", "short" + n, "s" + n);
      fake.Enter("room", "stay" + n, "t" + n, R"("hi")");
      if (i >= 3) fake.Leave("room", "stay" + std::to_string(i - 3), "t" + std::to_string(i - 3));
    });
    ASSERT_TRUE(ahead.daemon->WaitCycles(1));
  }
  for (int i = kCycles - 3; i < kCycles; ++i) {
    const std::string n = std::to_string(i);
    both([&](FakeAblyServer& fake) { fake.Leave("room", "stay" + n, "t" + n); });
  }
  for (OffsetRun* run : {&ahead, &behind}) {
    SCOPED_TRACE(run == &ahead ? "Ably 5 s ahead" : "Ably 5 s behind");
    ChildProcess& process = run->daemon->process();
    ASSERT_TRUE(WaitFor([&] { return PrintedLeaves(process) == 2u * kCycles; }, seconds(12)))
        << PrintedLeaves(process) << " of " << 2 * kCycles << " leaves seen";
    for (int i = 0; i < kCycles; ++i) {
      for (const char* who : {"short", "stay"}) {
        const std::string name = who + std::to_string(i);
        EXPECT_TRUE(Printed(process, "enter room " + name)) << name;
        EXPECT_TRUE(Printed(process, "leave room " + name)) << name;
      }
    }
    // The reconcile taken among the visits is compared once history has been read past it.
    ASSERT_TRUE(process.WaitForStderr("reconcile snapshots compared", seconds(8)));
    EXPECT_EQ(Corrections(*run->daemon), 0);
    EXPECT_NEAR(run->daemon->Metric("presenced_ably_clock_offset_seconds"),
                run == &ahead ? 5.0 : -5.0, 1.0);
  }
}

// Two channels, one request every 2 s (max_requests_per_second 0.5) and a 3 s retention: the
// second read of a cycle would leave about 4 s after its window began. It is not sent; the
// channel takes a snapshot, and a member who left meanwhile is reported, not lost.
TEST(AblyHistoryClockTest, AReadThatWouldLeaveAfterTheRetentionBecomesASnapshot) {
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  fake.SetHistoryRetention(milliseconds(3'000));
  fake.Enter("a", "ann", "ka", R"("x")");
  fake.Enter("b", "bob", "kb", R"("y")");
  TempDir dir;
  DaemonHarness daemon(
      dir, AblyTestConfig(fake, "  max_in_flight: 1\n  max_requests_per_second: 0.5\n",
                          "channels: [a, b]\npresence:\n  mode: history\n  history_lag: 1s\n"
                          "  history_retention: 3s\n  reconcile_every: 1000\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Leave("b", "bob", "kb");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave b bob"); }, seconds(12)));
  // No history request reached Ably after its window's start had left the retention.
  for (const RecordedRequest& request : fake.Requests()) {
    if (request.path.find("/presence/history") == std::string::npos) continue;
    const size_t at = request.query.find("start=");
    ASSERT_NE(at, std::string::npos);
    const int64_t start = std::stoll(request.query.substr(at + 6));
    EXPECT_LE(request.received_at_ms - start, 3'000) << request.path << "?" << request.query;
  }
  // Found by the snapshot the read became.
  EXPECT_GE(daemon.Metric(R"(presenced_reconcile_corrections_total{action="leave"})"), 1);
}

}  // namespace
}  // namespace presenced::testing
