// presence.mode switched between cycles (a reload) against a scripted source that records
// history: what snapshot cycles reported is never reported again by the history read after a
// switch, and snapshot mode forgets a stored history cursor.

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

class ModeSwitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config_.channels = {"a"};
    config_.presence.reconcile_every = 1000;
    config_.presence.history_lag = std::chrono::seconds(2);  // history reads up to now − 2 s
    poller_ = std::make_unique<Poller>(
        source_, *store_, metrics_, clock_, [this](const std::vector<Event>& events) {
          emitted_.insert(emitted_.end(), events.begin(), events.end());
        });
    ASSERT_TRUE(poller_->Restore().ok());
    poller_->SetChannels(config_.channels, {}, {});
  }

  // Runs one cycle in `mode`, 500 ms after the previous one; returns "action client" per event.
  Events Cycle(PresenceConfig::Mode mode) {
    config_.presence.mode = mode;
    emitted_.clear();
    clock_.Advance(std::chrono::milliseconds(500));
    EXPECT_TRUE(poller_->RunCycle(config_, cancel_).committed);
    Events out;
    for (const Event& e : emitted_)
      out.push_back(std::string(ActionName(e.action)) + " " + e.client_id);
    return out;
  }

  // A change now, recorded in history with this moment as Ably's timestamp.
  void Change(MessageAction action, const std::string& client) {
    source_.Change("a", action, client, R"("x")", clock_.NowMs() + 100);
  }

  static constexpr auto kSnapshot = PresenceConfig::Mode::kSnapshot;
  static constexpr auto kHistory = PresenceConfig::Mode::kHistory;

  testing::TempDir dir_;
  testing::FakeClock clock_{kNow};
  FakeSource source_;
  Metrics metrics_{true};
  std::unique_ptr<StateStore> store_;
  Config config_;
  std::unique_ptr<Poller> poller_;
  std::atomic<bool> cancel_{false};
  std::vector<Event> emitted_;
};

TEST_F(ModeSwitchTest, HistoryAfterASwitchDoesNotReportAgainWhatSnapshotsReported) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(kSnapshot), Events{});  // the baseline
  Change(MessageAction::kEnter, "carol");
  EXPECT_EQ(Cycle(kSnapshot), Events{"enter carol"});
  Change(MessageAction::kLeave, "carol");
  EXPECT_EQ(Cycle(kSnapshot), Events{"leave carol"});
  // The switch: a reconcile, then history from a little before it, over carol's visit.
  EXPECT_EQ(Cycle(kHistory), Events{});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(Cycle(kHistory), Events{}) << i;
  // What happens after the switch is still reported, once.
  Change(MessageAction::kEnter, "dave");
  Events later;
  for (int i = 0; i < 8; ++i) {
    const Events events = Cycle(kHistory);
    later.insert(later.end(), events.begin(), events.end());
  }
  EXPECT_EQ(later, Events{"enter dave"});
}

TEST_F(ModeSwitchTest, BackAndForthReportsEveryChangeOnce) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(kSnapshot), Events{});
  Events all;
  auto run = [&](PresenceConfig::Mode mode) {
    const Events events = Cycle(mode);
    all.insert(all.end(), events.begin(), events.end());
  };
  // Each visit is reported by snapshots, then read from history (2 s after the reconcile that
  // starts history mode), then the mode goes back to snapshot.
  for (int i = 0; i < 3; ++i) {
    const std::string client = "u" + std::to_string(i);
    Change(MessageAction::kEnter, client);
    run(kSnapshot);
    Change(MessageAction::kLeave, client);
    run(kSnapshot);
    for (int k = 0; k < 6; ++k) run(kHistory);
    run(kSnapshot);
  }
  for (int i = 0; i < 8; ++i) run(kHistory);
  EXPECT_EQ(all, (Events{"enter u0", "leave u0", "enter u1", "leave u1", "enter u2", "leave u2"}));
}

TEST_F(ModeSwitchTest, SnapshotModeForgetsTheStoredHistoryCursor) {
  source_.Change("a", MessageAction::kEnter, "bob", R"("b")", kNow - 60'000);
  EXPECT_EQ(Cycle(kHistory), Events{});
  EXPECT_EQ(Cycle(kHistory), Events{});
  auto stored = store_->LoadSnapshots();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_GT((*stored)[0].history_cursor_ms, 0);
  EXPECT_EQ(Cycle(kSnapshot), Events{});
  stored = store_->LoadSnapshots();
  ASSERT_TRUE(stored.ok());
  // A restart in history mode reconciles instead of reading history these snapshots covered.
  EXPECT_EQ((*stored)[0].history_cursor_ms, 0);
}

}  // namespace
}  // namespace presenced
