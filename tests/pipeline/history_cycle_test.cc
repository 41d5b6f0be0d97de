// presence.mode: history — the poller's history cycles against a scripted source: exact events with
// Ably's timestamps, reconciles and their corrections, failures that emit nothing, and the cursor
// kept in the state store.

#include "pipeline/history_cycle.h"

#include <gtest/gtest.h>

#include "fake_clock.h"
#include "fake_presence_source.h"
#include "pipeline/poller.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::FakeSource;
using Events = std::vector<std::string>;
constexpr int64_t kNow = 1'700'000'000'000;

class HistoryCycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config_.channels = {"a"};
    config_.presence.mode = PresenceConfig::Mode::kHistory;
    config_.presence.reconcile_every = 4;
    config_.presence.history_lag = Duration(2'000);
    poller_ = MakePoller();
  }

  std::unique_ptr<Poller> MakePoller() {
    auto poller = std::make_unique<Poller>(
        source_, *store_, metrics_, clock_, [this](const std::vector<Event>& events) {
          emitted_.insert(emitted_.end(), events.begin(), events.end());
        });
    EXPECT_TRUE(poller->Restore().ok());
    poller->SetChannels(config_.channels, {}, {});
    return poller;
  }

  // Runs one cycle 15 s after the previous one; returns "action client timestamp" per event.
  Events Cycle() {
    emitted_.clear();
    clock_.Advance(std::chrono::seconds(15));
    const CycleReport report = poller_->RunCycle(config_, cancel_);
    EXPECT_TRUE(report.committed);
    Events out;
    for (const Event& e : emitted_) {
      out.push_back(std::string(ActionName(e.action)) + " " + e.client_id + " " +
                    std::to_string(e.timestamp - kNow));
    }
    return out;
  }

  // A change made between two cycles, `ms` after the last one started.
  void Change(MessageAction action, const std::string& client, int64_t ms,
              const std::string& data = R"("x")") {
    source_.Change("a", action, client, data, clock_.NowMs() + ms);
  }

  size_t Snapshots() const {
    size_t snapshots = 0;
    for (const auto& batch : source_.fetched) snapshots += batch.size();
    return snapshots;
  }
  size_t HistoryReads() const {
    size_t reads = 0;
    for (const auto& batch : source_.history_requests) reads += batch.size();
    return reads;
  }
  double Corrections(const std::string& action) {
    const std::string text = metrics_.Serialize();
    const std::string series = R"(presenced_reconcile_corrections_total{action=")" + action + "\"}";
    const size_t at = text.find(series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 1));
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow - 15'000};
  FakeSource source_;
  Metrics metrics_{true};
  std::unique_ptr<StateStore> store_;
  Config config_;
  std::unique_ptr<Poller> poller_;
  std::atomic<bool> cancel_{false};
  std::vector<Event> emitted_;
};

TEST_F(HistoryCycleTest, ShortVisitsAreEnterThenLeaveWithAblysTimestamps) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});  // the first snapshot is the baseline
  Change(MessageAction::kEnter, "carol", 1000);
  Change(MessageAction::kLeave, "carol", 3000);
  Change(MessageAction::kUpdate, "bob", 4000, R"("c")");
  Change(MessageAction::kLeave, "bob", 5000);
  EXPECT_EQ(Cycle(),
            (Events{"enter carol 1000", "leave carol 3000", "update bob 4000", "leave bob 5000"}));
  EXPECT_EQ(Snapshots(), 1u);  // history only
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Corrections("enter"), 0);
}

TEST_F(HistoryCycleTest, ReconcilesEveryNCyclesAndAQuietReconcileEmitsNothing) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Snapshots(), 3u);     // cycles 1, 5 and 9 (reconcile_every: 4)
  EXPECT_EQ(HistoryReads(), 8u);  // every cycle after the first
  for (const char* action : {"enter", "leave", "update"}) EXPECT_EQ(Corrections(action), 0);
}

TEST_F(HistoryCycleTest, AReconcileCorrectsWhatHistoryMissedAndCountsIt) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  // Changes history never showed (beyond its retention, say): only the snapshot knows.
  source_.Enter("a", "dave", R"("d")");
  source_.Leave("a", "bob");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Cycle(), Events{});
  const size_t snapshots = Snapshots();
  EXPECT_EQ(Cycle(), Events{});  // the 5th cycle takes the reconcile snapshot...
  EXPECT_EQ(Snapshots(), snapshots + 1);
  const Events reconciled = Cycle();  // ...compared once history has been read past it
  ASSERT_EQ(reconciled.size(), 2u);
  EXPECT_TRUE(reconciled[0].starts_with("leave bob")) << reconciled[0];
  EXPECT_TRUE(reconciled[1].starts_with("enter dave")) << reconciled[1];
  EXPECT_EQ(Corrections("enter"), 1);
  EXPECT_EQ(Corrections("leave"), 1);
  EXPECT_EQ(Cycle(), Events{});
}

TEST_F(HistoryCycleTest, AFailedHistoryReadEmitsNothingAndIsReadAgainWithAReconcile) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  source_.failing_history.insert("a");
  Change(MessageAction::kEnter, "carol", 1000);
  Change(MessageAction::kLeave, "carol", 2000);
  Change(MessageAction::kLeave, "bob", 3000);
  EXPECT_EQ(Cycle(), Events{});  // no false leaves, nothing at all
  EXPECT_EQ(poller_->stale_count(), 1u);
  source_.failing_history.clear();
  // The same window again, from the same cursor, and a reconcile that finds nothing more.
  EXPECT_EQ(Cycle(), (Events{"enter carol 1000", "leave carol 2000", "leave bob 3000"}));
  EXPECT_EQ(Snapshots(), 2u);
  EXPECT_EQ(Corrections("leave"), 0);
  EXPECT_EQ(poller_->stale_count(), 0u);
}

// A reconcile snapshot shows changes history has not been read up to yet: it waits for history,
// which reports them, and then finds nothing (no "corrections" on a clean run).
TEST_F(HistoryCycleTest, AReconcileLeavesToHistoryWhatHistoryHasNotReadYet) {
  config_.presence.reconcile_every = 1;
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  Change(MessageAction::kUpdate, "bob", 14'000, R"("c")");  // after the next window's end
  Change(MessageAction::kLeave, "bob", 14'500);
  Change(MessageAction::kEnter, "carol", 14'600);
  EXPECT_EQ(Cycle(), Events{});  // the snapshot already shows them: nothing until history does
  EXPECT_EQ(Cycle(), (Events{"update bob 14000", "leave bob 14500", "enter carol 14600"}));
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Cycle(), Events{});
  for (const char* action : {"enter", "leave", "update"}) EXPECT_EQ(Corrections(action), 0);
}

// A snapshot compared at once (after a gap history no longer holds) sees changes history has not
// been read up to yet; reading history over them must not bring back a member it saw leave (seen
// first by the chaos test).
TEST_F(HistoryCycleTest, HistoryReadAfterAReconcileDoesNotBringBackWhoItSawLeave) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  clock_.Advance(std::chrono::minutes(3));                  // a gap past the retention
  Change(MessageAction::kUpdate, "bob", 14'000, R"("c")");  // after the next window's end
  Change(MessageAction::kLeave, "bob", 14'500);
  const Events reconciled = Cycle();
  ASSERT_EQ(reconciled.size(), 1u);
  EXPECT_TRUE(reconciled[0].starts_with("leave bob")) << reconciled[0];
  EXPECT_EQ(Cycle(), Events{});  // reads the update and the leave: nothing new
  EXPECT_EQ(Cycle(), Events{});
  // The tombstone is stored with the cursor, so a restart does not bring bob back either.
  auto stored = store_->LoadSnapshots();
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE((*stored)[0].history_tombstones.empty());
}

TEST_F(HistoryCycleTest, SwitchingBackToHistoryModeStartsWithAReconcile) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Cycle(), Events{});
  config_.presence.mode = PresenceConfig::Mode::kSnapshot;  // a reload
  source_.Enter("a", "dave", R"("d")");
  const Events entered = Cycle();
  ASSERT_EQ(entered.size(), 1u);
  EXPECT_TRUE(entered[0].starts_with("enter dave")) << entered[0];
  const size_t snapshots = Snapshots(), reads = HistoryReads();
  config_.presence.mode = PresenceConfig::Mode::kHistory;
  // dave's enter is not in history: only the snapshot knew it, and it is not repeated.
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Snapshots(), snapshots + 1);
  EXPECT_EQ(HistoryReads(), reads);  // no cursor to continue from
}

TEST_F(HistoryCycleTest, AGapLongerThanTheRetentionIsReconciledWithoutHistory) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  clock_.Advance(std::chrono::minutes(3));  // e.g. the process was suspended
  source_.Leave("a", "bob");
  const size_t reads = HistoryReads();
  const Events events = Cycle();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].starts_with("leave bob"));
  EXPECT_EQ(HistoryReads(), reads);  // nothing history still holds
  EXPECT_EQ(Corrections("leave"), 1);
}

TEST_F(HistoryCycleTest, TheCursorIsStoredAndARestartReadsOnFromItAndReconciles) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Cycle(), Events{});
  auto stored = store_->LoadSnapshots();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].history_cursor_ms, clock_.NowMs() - 2000 + 1);
  // Down for a short while (a restart): a visit while it was down is still in history.
  poller_.reset();
  Change(MessageAction::kEnter, "carol", 1000);
  Change(MessageAction::kLeave, "carol", 2000);
  poller_ = MakePoller();
  const size_t snapshots = Snapshots();
  EXPECT_EQ(Cycle(), (Events{"enter carol 16000", "leave carol 17000"}));
  EXPECT_EQ(Snapshots(), snapshots + 1);  // a restart reconciles
}

// A failed history read gives its channel a last error for the status page, as a snapshot does.
TEST_F(HistoryCycleTest, AFailedHistoryReadIsTheChannelsLastError) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  source_.failing_history.insert("a");
  Change(MessageAction::kEnter, "carol", 1000);
  clock_.Advance(std::chrono::seconds(15));
  const CycleReport report = poller_->RunCycle(config_, cancel_);
  EXPECT_EQ(report.errors.count(50003), 1u);
  int code = 0;
  poller_->ForEachChannel([&](const ChannelReport& c) {
    if (c.name == "a" && c.stale && c.last_error != nullptr) code = c.last_error->code;
  });
  EXPECT_EQ(code, 50003);
}

// A channel with nothing to read this cycle (the clock its windows are on stepped back) was not
// fetched: not a failure, no stale channel, nothing emitted.
TEST_F(HistoryCycleTest, AChannelWithNothingToReadIsNotAFailure) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Cycle(), Events{});
  clock_.StepWall(std::chrono::seconds(-60));  // the host's clock jumps back a minute
  const size_t reads = HistoryReads();
  for (int i = 0; i < 3; ++i) {
    emitted_.clear();
    clock_.Advance(std::chrono::seconds(15));
    const CycleReport report = poller_->RunCycle(config_, cancel_);
    EXPECT_TRUE(report.committed);
    EXPECT_EQ(report.failed, 0u);
    EXPECT_EQ(poller_->stale_count(), 0u);
  }
  EXPECT_EQ(HistoryReads(), reads);           // nothing planned: the window ended before the cursor
  clock_.StepWall(std::chrono::seconds(60));  // corrected
  Change(MessageAction::kLeave, "bob", 1000);
  const Events events = Cycle();  // history goes on from the cursor
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].starts_with("leave bob")) << events[0];
  EXPECT_EQ(poller_->stale_count(), 0u);
}

// The plan saw the window inside the retention, but the read would leave after it had gone (a
// slow cycle): it is not sent, and the channel is compared with a snapshot in the same cycle.
TEST_F(HistoryCycleTest, AReadThatWouldLeaveAfterTheRetentionBecomesASnapshotAtOnce) {
  source_.server_now = [this] { return clock_.NowMs(); };
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(), Events{});
  clock_.Advance(std::chrono::seconds(100));  // still inside the 2 minutes at the next start
  source_.Leave("a", "bob");                  // and history lost it
  source_.send_delay_ms = 10'000;             // the read would leave 10 s into the cycle
  const size_t reads = HistoryReads();
  const Events events = Cycle();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].starts_with("leave bob")) << events[0];
  EXPECT_EQ(HistoryReads(), reads + 1);  // asked for, not sent
  EXPECT_EQ(Corrections("leave"), 1);
  EXPECT_EQ(poller_->stale_count(), 0u);
}

}  // namespace
}  // namespace presenced
