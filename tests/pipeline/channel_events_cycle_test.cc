// presence.channel_events through whole poll cycles, in both modes: occupied after the first
// enter and vacated after the last leave, once each; nothing from a failed fetch; nothing
// repeated by a restart; initial_snapshot decides about the channels occupied at the first
// cycle; presenced_channels_occupied; the events routed to the sinks that select them.

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

class ChannelEventsCycleTest : public ::testing::TestWithParam<PresenceConfig::Mode> {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config_.channels = {"a", "b"};
    config_.presence.mode = GetParam();
    config_.presence.reconcile_every = 3;
    config_.presence.channel_events = true;
    KafkaConfig rooms;
    rooms.name = "rooms";
    rooms.actions = {Action::kOccupied, Action::kVacated};
    config_.kafka.push_back(rooms);
    poller_ = MakePoller();
  }

  bool History() const { return GetParam() == PresenceConfig::Mode::kHistory; }

  std::unique_ptr<Poller> MakePoller() {
    auto poller = std::make_unique<Poller>(
        source_, *store_, metrics_, clock_, [this](const std::vector<Event>& events) {
          emitted_.insert(emitted_.end(), events.begin(), events.end());
        });
    EXPECT_TRUE(poller->Restore().ok());
    poller->SetChannels(config_.channels, {}, {});
    return poller;
  }

  // Runs one cycle 15 s after the previous one; returns "action channel client" per event.
  Events Cycle() {
    emitted_.clear();
    clock_.Advance(std::chrono::seconds(15));
    EXPECT_TRUE(poller_->RunCycle(config_, cancel_).committed);
    Events out;
    for (const Event& e : emitted_) {
      out.push_back(std::string(ActionName(e.action)) + " " + e.channel + " " + e.client_id);
    }
    return out;
  }

  // Runs cycles until one emits something (history mode reconciles every 3 cycles) or 3 ran.
  Events NextEvents() {
    for (int i = 0; i < 3; ++i) {
      Events events = Cycle();
      if (!events.empty()) return events;
    }
    return {};
  }

  // A member enters or leaves, in the snapshots and in history.
  void Enter(const std::string& channel, const std::string& client) {
    source_.Change(channel, MessageAction::kEnter, client, R"("x")", clock_.NowMs() + 1000);
  }
  void Leave(const std::string& channel, const std::string& client) {
    source_.Change(channel, MessageAction::kLeave, client, R"("x")", clock_.NowMs() + 2000);
  }

  double Occupied() {
    const std::string text = metrics_.Serialize();
    const size_t at = text.find("\npresenced_channels_occupied ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + 29));
  }

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

TEST_P(ChannelEventsCycleTest, OccupiedAfterTheFirstEnterVacatedAfterTheLastLeave) {
  EXPECT_EQ(Cycle(), Events{});
  Enter("a", "ann");
  Enter("a", "bob");
  EXPECT_EQ(NextEvents(), (Events{"enter a ann", "occupied a ", "enter a bob"}));
  EXPECT_EQ(Occupied(), 1);
  Leave("a", "ann");
  EXPECT_EQ(NextEvents(), (Events{"leave a ann"}));
  Leave("a", "bob");
  EXPECT_EQ(NextEvents(), (Events{"leave a bob", "vacated a "}));
  EXPECT_EQ(Occupied(), 0);
  // Routed to the sink that selects them, with nothing else.
  auto pending = store_->PeekPending("rooms", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].event.action, Action::kOccupied);
  EXPECT_EQ((*pending)[1].event.action, Action::kVacated);
}

TEST_P(ChannelEventsCycleTest, AFailedFetchEmitsNoVacated) {
  Enter("a", "ann");
  Cycle();  // baseline: ann was there
  source_.failing = {"a"};
  source_.members["a"].clear();
  source_.history["a"].clear();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Occupied(), 1);
}

TEST_P(ChannelEventsCycleTest, ARestartDoesNotRepeatThem) {
  Cycle();
  Enter("b", "cat");
  EXPECT_EQ(NextEvents(), (Events{"enter b cat", "occupied b "}));
  poller_ = MakePoller();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Occupied(), 1);
}

TEST_P(ChannelEventsCycleTest, BaselineFirstSnapshotGetsNoOccupied) {
  Enter("a", "ann");
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(Occupied(), 1);
}

TEST_P(ChannelEventsCycleTest, InitialSnapshotPresentGivesOccupiedAfterThePresents) {
  config_.presence.initial_snapshot = PresenceConfig::InitialSnapshot::kPresent;
  Enter("a", "ann");
  Enter("a", "bob");
  EXPECT_EQ(Cycle(), (Events{"present a ann", "occupied a ", "present a bob"}));
  EXPECT_EQ(Cycle(), Events{});
}

TEST_P(ChannelEventsCycleTest, OffByDefault) {
  config_.presence.channel_events = false;
  Cycle();
  Enter("a", "ann");
  EXPECT_EQ(NextEvents(), (Events{"enter a ann"}));
  EXPECT_EQ(Occupied(), 1);  // the gauge does not depend on the switch
}

INSTANTIATE_TEST_SUITE_P(Modes, ChannelEventsCycleTest,
                         ::testing::Values(PresenceConfig::Mode::kSnapshot,
                                           PresenceConfig::Mode::kHistory),
                         [](const auto& info) {
                           return info.param == PresenceConfig::Mode::kSnapshot ? "snapshot"
                                                                                : "history";
                         });

}  // namespace
}  // namespace presenced
