#include "pipeline/poller.h"

#include <gtest/gtest.h>

#include <map>

#include "fake_clock.h"
#include "fake_http_client.h"
#include "fake_presence_source.h"
#include "state/sqlite_db.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::FakeSource;
using testing::MetricValue;

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config_.channels = {"a", "b"};
    WebhookConfig hook;
    hook.name = "main";
    hook.url = "http://127.0.0.1:1/";
    config_.webhooks.push_back(hook);
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

  // Runs one cycle and returns the events it emitted as "action channel client" strings.
  std::vector<std::string> Cycle() {
    emitted_.clear();
    clock_.Advance(std::chrono::seconds(15));
    const CycleReport report = poller_->RunCycle(config_, cancel_);
    EXPECT_TRUE(report.committed);
    std::vector<std::string> out;
    for (const Event& e : emitted_) {
      out.push_back(std::string(ActionName(e.action)) + " " + e.channel + " " + e.client_id);
    }
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  FakeSource source_;
  Metrics metrics_{true};
  std::unique_ptr<StateStore> store_;
  Config config_;
  std::unique_ptr<Poller> poller_;
  std::atomic<bool> cancel_{false};
  std::vector<Event> emitted_;
};

using Events = std::vector<std::string>;

TEST_F(PollerTest, EnterUpdateLeaveAcrossCycles) {
  source_.Enter("a", "bob", R"("hi")");
  EXPECT_EQ(Cycle(), Events{});  // first snapshot is the baseline
  source_.Enter("a", "alice", R"("hey")");
  EXPECT_EQ(Cycle(), Events{"enter a alice"});
  source_.members["a"][0].data = R"("bye")";
  EXPECT_EQ(Cycle(), Events{"update a bob"});
  source_.Leave("a", "bob");
  EXPECT_EQ(Cycle(), Events{"leave a bob"});
  EXPECT_EQ(Cycle(), Events{});
}

TEST_F(PollerTest, FailedFetchKeepsSnapshotAndEmitsNothing) {
  source_.Enter("a", "bob", R"("hi")");
  source_.Enter("b", "carol", R"("x")");
  Cycle();
  source_.failing = {"a"};
  source_.members["a"].clear();  // what a bad response would look like if it were trusted
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(poller_->stale_count(), 1u);
  EXPECT_EQ(poller_->member_total(), 2u);
  source_.failing.clear();
  source_.Enter("a", "bob", R"("hi")");
  source_.members["a"][0].id = "conn-bob:1:0";
  EXPECT_EQ(Cycle(), Events{});  // bob was there all along
  EXPECT_EQ(poller_->stale_count(), 0u);
}

TEST_F(PollerTest, EventsAreRoutedToTheOutboxInTheSameCommit) {
  Cycle();
  source_.Enter("a", "bob", R"("hi")");
  source_.Enter("b", "carol", R"("x")");
  EXPECT_EQ(Cycle(), (Events{"enter a bob", "enter b carol"}));
  auto pending = store_->PeekPending("main", 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].event.client_id, "bob");
  EXPECT_EQ((*pending)[1].event.client_id, "carol");
}

// Each sink's outbox gets exactly the events its filters select, in cycle order, every field as
// derived (events are held packed between the diff and the commit, and routed by position).
TEST_F(PollerTest, EachSinkGetsTheEventsItSelectsInOrderWithEveryField) {
  config_.channels = {"a", "b", "c"};
  WebhookConfig leaves;
  leaves.name = "leaves";
  leaves.url = "http://127.0.0.1:1/";
  leaves.actions = {Action::kLeave};
  WebhookConfig only_b = leaves;
  only_b.name = "only-b";
  only_b.channels = {"b"};
  only_b.actions = WebhookConfig{}.actions;
  config_.webhooks.push_back(leaves);
  config_.webhooks.push_back(only_b);
  poller_->SetChannels(config_.channels, {}, {});
  for (const char* channel : {"a", "b", "c"}) {
    source_.Enter(channel, "stay", R"("s")");
    source_.Enter(channel, "go", R"("g")");
  }
  Cycle();
  for (const char* channel : {"a", "b", "c"}) {
    source_.Leave(channel, "go");
    source_.Enter(channel, "new", R"({"n":1})");
  }
  Cycle();
  const auto outbox = [&](const std::string& sink) {
    auto pending = store_->PeekPending(sink, 100);
    EXPECT_TRUE(pending.ok());
    std::vector<std::string> out;
    for (const StateStore::PendingEvent& p : *pending) {
      const Event& e = p.event;
      out.push_back(std::string(ActionName(e.action)) + " " + e.channel + " " + e.client_id + " " +
                    e.connection_id + " " + e.member_id + " " + e.data);
      EXPECT_EQ(e.id, EventId(e.channel, e.client_id, e.connection_id, e.action, e.member_id));
    }
    return out;
  };
  ASSERT_EQ(emitted_.size(), 6u);
  Events all;
  for (const Event& e : emitted_) {
    all.push_back(std::string(ActionName(e.action)) + " " + e.channel + " " + e.client_id + " " +
                  e.connection_id + " " + e.member_id + " " + e.data);
  }
  EXPECT_EQ(outbox("main"), all);
  Events left, b;
  for (size_t i = 0; i < emitted_.size(); ++i) {
    if (emitted_[i].action == Action::kLeave) left.push_back(all[i]);
    if (emitted_[i].channel == "b") b.push_back(all[i]);
  }
  ASSERT_EQ(left.size(), 3u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(outbox("leaves"), left);
  EXPECT_EQ(outbox("only-b"), b);
}

TEST_F(PollerTest, RestartContinuesFromStoredSnapshots) {
  source_.Enter("a", "bob", R"("hi")");
  source_.Enter("a", "alice", R"("hey")");
  Cycle();
  // presenced stops; alice leaves and dave enters while it is down.
  source_.Leave("a", "alice");
  source_.Enter("a", "dave", R"("yo")");
  poller_ = MakePoller();
  EXPECT_EQ(Cycle(), (Events{"leave a alice", "enter a dave"}));
}

// A cycle stores what changed, not the channels it changed: one member's update in a channel of
// 1,000 is a delta of one record. Deltas that outgrow the snapshot are folded into a new one,
// and a restart rebuilds every channel exactly from its snapshot and deltas.
TEST_F(PollerTest, StoresDeltasCompactsThemAndRestoresExactly) {
  for (int i = 0; i < 1000; ++i) source_.Enter("a", "user-" + std::to_string(i), R"("v0")");
  Cycle();
  auto stored = store_->LoadSnapshots();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  const size_t snapshot_bytes = (*stored)[0].encoded.size();
  ASSERT_GT(snapshot_bytes, 30'000u);

  source_.members["a"][10].data = R"("v1")";
  EXPECT_EQ(Cycle(), Events{"update a user-10"});
  stored = store_->LoadSnapshots();
  ASSERT_EQ((*stored)[0].channel, "a");
  EXPECT_EQ((*stored)[0].encoded.size(), snapshot_bytes);  // not rewritten
  ASSERT_EQ((*stored)[0].deltas.size(), 1u);
  EXPECT_LT((*stored)[0].deltas[0].size(), 200u);

  // Churn 10 % per cycle until the deltas have been compacted at least once.
  bool compacted = false;
  for (int cycle = 0; cycle < 40 && !compacted; ++cycle) {
    for (int i = 0; i < 100; ++i) {
      source_.members["a"][(cycle * 100 + i) % 1000].data = "\"c" + std::to_string(cycle) + "\"";
    }
    Cycle();
    stored = store_->LoadSnapshots();
    compacted = (*stored)[0].deltas.empty();
  }
  EXPECT_TRUE(compacted);
  source_.members["a"][3].data = R"("last")";
  source_.Leave("a", "user-500");
  source_.Enter("a", "newcomer", R"("hi")");
  Cycle();

  // A fresh poller on the same store sees no difference from what the old one tracked.
  const size_t members = poller_->member_total();
  poller_ = MakePoller();
  EXPECT_EQ(poller_->member_total(), members);
  EXPECT_EQ(Cycle(), Events{});
}

TEST_F(PollerTest, RemovedChannelIsDroppedWithoutLeaves) {
  source_.Enter("b", "carol", R"("x")");
  Cycle();
  poller_->SetChannels({"a"}, {}, {});
  EXPECT_EQ(Cycle(), Events{});
  EXPECT_EQ(source_.fetched.back(), std::vector<std::string>{"a"});
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok());
  for (const auto& s : *snapshots) EXPECT_NE(s.channel, "b");
}

TEST_F(PollerTest, ChannelDroppedAndAddedBackKeepsItsNewSnapshot) {
  source_.Enter("b", "carol", R"("x")");
  Cycle();
  poller_->SetChannels({"a"}, {}, {});
  poller_->SetChannels({"a", "b"}, {}, {});  // two reloads between cycles
  EXPECT_EQ(Cycle(), Events{});              // b starts again as a baseline
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok());
  std::set<std::string> stored;
  for (const auto& s : *snapshots) stored.insert(s.channel);
  EXPECT_EQ(stored, (std::set<std::string>{"a", "b"}));
}

TEST_F(PollerTest, NewChannelStartsAsBaseline) {
  Cycle();
  source_.Enter("c", "erin", R"("x")");
  poller_->SetChannels({"a", "b", "c"}, {}, {});
  EXPECT_EQ(Cycle(), Events{});
  source_.Enter("c", "frank", R"("y")");
  EXPECT_EQ(Cycle(), Events{"enter c frank"});
}

TEST_F(PollerTest, AnnouncedRoomOwnedByAnotherShardIsABaselineWhenHandedOver) {
  Cycle();
  source_.Enter("room:9", "gail", R"("x")");
  poller_->AnnounceFirstSnapshot({"room:9"});       // discovery saw it appear...
  poller_->SetChannels({"a", "b"}, {}, {"room:"});  // ...but another shard owns it
  Cycle();
  poller_->SetChannels({"a", "b"}, {"room:9"}, {"room:"});  // a re-shard hands it over
  EXPECT_EQ(Cycle(), Events{});
  source_.Enter("room:9", "hal", R"("y")");
  EXPECT_EQ(Cycle(), Events{"enter room:9 hal"});
}

TEST_F(PollerTest, DiscoveredChannelIsKeptUntilItsMembersLeft) {
  config_.channels = {};
  poller_->SetChannels({}, {"room:1"}, {"room:"});
  source_.Enter("room:1", "bob", R"("x")");
  Cycle();
  // room:1 becomes inactive: enumeration no longer lists it, but bob's leave must still be seen.
  poller_->SetChannels({}, {}, {"room:"});
  source_.Leave("room:1", "bob");
  EXPECT_EQ(Cycle(), Events{"leave room:1 bob"});
  poller_->SetChannels({}, {}, {"room:"});
  EXPECT_TRUE(poller_->Channels().empty());
}

TEST_F(PollerTest, InitialSnapshotPresentOnlyInTheFirstCycle) {
  config_.presence.initial_snapshot = PresenceConfig::InitialSnapshot::kPresent;
  source_.Enter("a", "bob", R"("hi")");
  EXPECT_EQ(Cycle(), Events{"present a bob"});
  source_.Enter("c", "erin", R"("x")");
  poller_->SetChannels({"a", "b", "c"}, {}, {});
  EXPECT_EQ(Cycle(), Events{});  // a channel added later is a baseline
}

// The rule (README, Events): `present` for the first successful snapshot of every channel tracked
// from the start of a run that has no stored snapshot, however many fetches failed before it;
// channels a reload adds later start as a baseline.
TEST_F(PollerTest, InitialSnapshotPresentAcrossFailuresAndRestarts) {
  config_.presence.initial_snapshot = PresenceConfig::InitialSnapshot::kPresent;
  source_.Enter("a", "bob", R"("hi")");
  source_.Enter("b", "carol", R"("x")");
  source_.failing = {"b"};
  EXPECT_EQ(Cycle(), Events{"present a bob"});  // first start, empty state
  EXPECT_EQ(Cycle(), Events{});
  source_.failing.clear();
  EXPECT_EQ(Cycle(), Events{"present b carol"});  // b's first fetch failed: present when it works

  // Restart with stored state: a and b continue from their snapshots; c, added to the config
  // while presenced was down, has none, and its first fetch fails.
  source_.Enter("c", "erin", R"("y")");
  source_.failing = {"c"};
  config_.channels = {"a", "b", "c"};
  poller_ = MakePoller();
  source_.Enter("a", "dave", R"("z")");
  EXPECT_EQ(Cycle(), Events{"enter a dave"});
  source_.failing.clear();
  EXPECT_EQ(Cycle(), Events{"present c erin"});

  // A channel added by a reload starts as a baseline.
  source_.Enter("d", "frank", R"("w")");
  poller_->SetChannels({"a", "b", "c", "d"}, {}, {});
  EXPECT_EQ(Cycle(), Events{});
}

TEST_F(PollerTest, InitialSnapshotPresentForChannelsDiscoveredBeforeTheFirstCycle) {
  config_.presence.initial_snapshot = PresenceConfig::InitialSnapshot::kPresent;
  source_.Enter("room:1", "bob", R"("x")");
  poller_->SetChannels(config_.channels, {"room:1"}, {"room:"});
  EXPECT_EQ(Cycle(), Events{"present room:1 bob"});
}

TEST_F(PollerTest, CancelledCycleCommitsNothing) {
  source_.Enter("a", "bob", R"("hi")");
  cancel_ = true;
  const CycleReport report = poller_->RunCycle(config_, cancel_);
  EXPECT_FALSE(report.committed);
  auto snapshots = store_->LoadSnapshots();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(snapshots->empty());
}

// README "sync events": the first periodic sync comes one sync_every after the webhook appears
// (no burst at a start or a reload), then one per period; each goes after the cycle's events.
TEST_F(PollerTest, PeriodicSyncsStartOnePeriodAfterTheWebhookAppears) {
  config_.webhooks[0].sync_every = std::chrono::seconds(40);
  auto syncs = [&] {
    size_t n = 0;
    auto pending = store_->PeekPending("main", 1000);
    EXPECT_TRUE(pending.ok());
    for (const auto& p : *pending) n += p.event.action == Action::kSync;
    return n;
  };
  source_.Enter("a", "bob", R"("hi")");
  Cycle();  // t = 15 s: the webhook appears, the first sync is due at 55 s
  Cycle();  // 30 s
  Cycle();  // 45 s
  EXPECT_EQ(syncs(), 0u);
  source_.Enter("a", "ann", R"("yo")");
  EXPECT_EQ(Cycle(), Events{"enter a ann"});  // 60 s: due
  EXPECT_EQ(syncs(), 2u);                     // channels a and b
  auto pending = store_->PeekPending("main", 1000);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->back().event.action, Action::kSync);
  Cycle();  // 75 s
  Cycle();  // 90 s
  EXPECT_EQ(syncs(), 2u);
  Cycle();  // 105 s: due again (60 + 40 = 100)
  EXPECT_EQ(syncs(), 4u);
}

// metrics.per_channel (CONTRACT §3): configured channels get series of their own by default;
// discovered ones (unbounded in number) only when the file sets per_channel: true explicitly.
// Until then they are summed in the unlabelled series, so sum(presenced_members) is the total.
TEST_F(PollerTest, DiscoveredChannelsGetSeriesOnlyWhenPerChannelIsExplicit) {
  source_.Enter("a", "bob", R"("hi")");
  source_.Enter("room:1", "ann", R"("x")");
  source_.Enter("room:1", "cy", R"("y")");
  poller_->SetChannels({"a"}, {"room:1"}, {"room:"});
  Cycle();
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_members{channel="a"})"), 1);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_members{channel="room:1"})"), -1) << "no series";
  EXPECT_EQ(MetricValue(metrics_, "presenced_members"), 2) << "the discovered channel, unlabelled";
  EXPECT_EQ(MetricValue(metrics_, "presenced_clients"), 2);
  EXPECT_EQ(metrics_.Serialize().find("room:1"), std::string::npos);

  config_.metrics.per_channel_explicit = true;
  Cycle();
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_members{channel="room:1"})"), 2);
  EXPECT_EQ(MetricValue(metrics_, "presenced_members"), -1) << "every channel has its own";

  config_.metrics.per_channel_explicit = false;  // a reload back to the default
  Cycle();
  EXPECT_EQ(metrics_.Serialize().find("room:1"), std::string::npos);
  EXPECT_EQ(MetricValue(metrics_, "presenced_members"), 2);
}

// A cycle whose commit fails still ran: it is counted and timed like any other (CONTRACT §7
// presenced_poll_cycles_total), next to presenced_state_commit_failures_total.
TEST_F(PollerTest, ACycleWhoseCommitFailsIsStillCounted) {
  Cycle();
  EXPECT_EQ(MetricValue(metrics_, "presenced_poll_cycles_total"), 1);
  // Every snapshot write fails inside SQLite from now on, as on a full disk.
  Result<SqliteDb> db = SqliteDb::Open(dir_.path() + "/presenced.db");
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->Exec("PRAGMA busy_timeout=5000; CREATE TRIGGER fail BEFORE INSERT ON "
                       "snapshot_deltas BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;")
                  .ok());
  source_.Enter("a", "bob", R"("hi")");
  clock_.Advance(std::chrono::seconds(15));
  EXPECT_FALSE(poller_->RunCycle(config_, cancel_).committed);
  EXPECT_EQ(MetricValue(metrics_, "presenced_poll_cycles_total"), 2);
  EXPECT_EQ(MetricValue(metrics_, "presenced_poll_cycle_duration_seconds_count"), 2);
}

// The status page's "last error" of a channel (CONTRACT §6): the error of its last failed fetch,
// kept with its time after a later success; each cycle reports its failures by Ably code.
TEST_F(PollerTest, AFailedChannelKeepsItsLastErrorAndTheCycleCountsItByCode) {
  auto last_error = [this](const std::string& channel) {
    std::string seen = "none";
    poller_->ForEachChannel([&](const ChannelReport& c) {
      if (c.name != channel) return;
      seen = (c.stale ? "stale " : "ok ") +
             (c.last_error ? std::to_string(c.last_error->code) + " " + c.last_error->message +
                                 " at " + std::to_string(c.last_error_ms)
                           : std::string("no error"));
    });
    return seen;
  };
  Cycle();
  EXPECT_EQ(last_error("a"), "ok no error");
  source_.failing = {"a"};
  clock_.Advance(std::chrono::seconds(15));
  const int64_t failed_at = clock_.NowMs();
  const CycleReport report = poller_->RunCycle(config_, cancel_);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors.at(50003).count, 1u);
  EXPECT_EQ(report.errors.at(50003).message, "timeout");
  EXPECT_EQ(last_error("a"), "stale 50003 timeout at " + std::to_string(failed_at));
  EXPECT_EQ(last_error("b"), "ok no error");
  source_.failing.clear();
  Cycle();
  EXPECT_EQ(last_error("a"), "ok 50003 timeout at " + std::to_string(failed_at));
}

}  // namespace
}  // namespace presenced
