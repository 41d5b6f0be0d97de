// The Poller keeps its channel totals (presenced_members, _clients, _channels, _channels_stale,
// _channels_occupied, the unlabelled last success, member_total()) as running sums updated by
// the channels that change, not by walking every channel each cycle. These tests compare them,
// cycle after cycle, with the sums recomputed from a model of what each channel last reported,
// through channel adds and removals, discovered/configured switches, failures and restarts.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "fake_clock.h"
#include "fake_http_client.h"
#include "fake_presence_source.h"
#include "pipeline/poller.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::FakeSource;
using testing::MetricValue;

class PollerTotalsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    config_.metrics.per_channel = GetParam();
    Restart();
  }

  void Restart() {
    poller_ = std::make_unique<Poller>(source_, *store_, metrics_, clock_,
                                       [](const std::vector<Event>&) {});
    ASSERT_TRUE(poller_->Restore().ok());
  }

  void SetChannels(const std::vector<std::string>& configured,
                   const std::vector<std::string>& discovered) {
    poller_->SetChannels(configured, discovered, {"room:"});
    std::set<std::string> now(configured.begin(), configured.end());
    now.insert(discovered.begin(), discovered.end());
    // A discovered room that disappeared is kept while it has members (for their leaves).
    for (const auto& [name, members] : model_) {
      if (!now.count(name) && name.rfind("room:", 0) == 0 && members > 0) now.insert(name);
    }
    std::erase_if(model_, [&](const auto& entry) { return !now.count(entry.first); });
    std::erase_if(stale_, [&](const std::string& name) { return !now.count(name); });
    tracked_ = now;
    discovered_.clear();
    for (const std::string& name : now) {
      if (std::find(configured.begin(), configured.end(), name) == configured.end()) {
        discovered_.insert(name);
      }
    }
  }

  void RunCycle() {
    clock_.Advance(std::chrono::seconds(15));
    ASSERT_TRUE(poller_->RunCycle(config_, cancel_).committed);
    for (const std::string& name : tracked_) {
      if (source_.failing.count(name)) {
        stale_.insert(name);
      } else {
        model_[name] = source_.members[name].size();  // one member per client in these tests
        stale_.erase(name);
      }
    }
  }

  // The unlabelled series hold the channels without series of their own: every channel with
  // per_channel off, the discovered ones with it on (not set explicitly).
  void ExpectTotals() {
    uint64_t all = 0, unlabelled = 0, occupied = 0;
    for (const auto& [name, members] : model_) {
      all += members;
      occupied += members > 0 ? 1 : 0;
      if (!GetParam() || discovered_.count(name)) unlabelled += members;
    }
    EXPECT_EQ(poller_->member_total(), all);
    EXPECT_EQ(poller_->stale_count(), stale_.size());
    EXPECT_EQ(MetricValue(metrics_, "presenced_channels"), static_cast<double>(tracked_.size()));
    EXPECT_EQ(MetricValue(metrics_, "presenced_channels_stale"),
              static_cast<double>(stale_.size()));
    EXPECT_EQ(MetricValue(metrics_, "presenced_channels_occupied"), static_cast<double>(occupied));
    const bool any_unlabelled = !GetParam() || !discovered_.empty();
    EXPECT_EQ(MetricValue(metrics_, "presenced_members"),
              any_unlabelled ? static_cast<double>(unlabelled) : -1);
    EXPECT_EQ(MetricValue(metrics_, "presenced_clients"),
              any_unlabelled ? static_cast<double>(unlabelled) : -1);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  FakeSource source_;
  Metrics metrics_{GetParam()};
  std::unique_ptr<StateStore> store_;
  Config config_;
  std::unique_ptr<Poller> poller_;
  std::atomic<bool> cancel_{false};
  // The model: members each tracked channel last reported, and the stale, tracked and
  // discovered channels.
  std::map<std::string, size_t> model_;
  std::set<std::string> stale_, tracked_, discovered_;
};

TEST_P(PollerTotalsTest, RunningTotalsMatchARecountThroughChanges) {
  std::mt19937 rng(21);
  const std::vector<std::string> names = {"a", "b", "c", "room:1", "room:2", "room:3"};
  int serial = 0;
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Every few rounds a new channel list (sometimes the same one again), a restart now and then.
    if (round % 4 == 0) {
      std::vector<std::string> configured, discovered;
      for (const std::string& name : names) {
        const unsigned pick = rng() % 3;  // 0: not tracked, 1: configured, 2: discovered
        if (pick == 1) configured.push_back(name);
        if (pick == 2) discovered.push_back(name);
      }
      SetChannels(configured, discovered);
    }
    if (round % 13 == 12) {
      Restart();
      // Restore keeps every stored channel until SetChannels: the model's list, again.
      std::vector<std::string> configured, discovered;
      for (const std::string& name : tracked_) {
        (discovered_.count(name) ? discovered : configured).push_back(name);
      }
      stale_.clear();
      SetChannels(configured, discovered);
    }
    for (const std::string& name : names) {
      const unsigned change = rng() % 4;
      if (change == 0) source_.Enter(name, "u" + std::to_string(++serial), R"("x")");
      if (change == 1 && !source_.members[name].empty()) {
        source_.Leave(name, source_.members[name].front().client_id);
      }
    }
    source_.failing.clear();
    if (rng() % 3 == 0) source_.failing.insert(names[rng() % names.size()]);
    RunCycle();
    ExpectTotals();
    if (HasFailure()) return;
  }
}

TEST_P(PollerTotalsTest, TheSameChannelListAgainChangesNothing) {
  source_.Enter("room:1", "ann", R"("x")");
  SetChannels({"a"}, {"room:1"});
  RunCycle();
  SetChannels({"a"}, {"room:1"});
  RunCycle();
  ExpectTotals();
  // The room disappears from discovery: kept while ann is there, dropped once she has left,
  // even though the lists stay the same from then on.
  SetChannels({"a"}, {});
  RunCycle();
  EXPECT_EQ(poller_->Channels(), (std::vector<std::string>{"a", "room:1"}));
  source_.Leave("room:1", "ann");
  RunCycle();
  SetChannels({"a"}, {});
  EXPECT_EQ(poller_->Channels(), (std::vector<std::string>{"a"}));
  RunCycle();
  ExpectTotals();
}

INSTANTIATE_TEST_SUITE_P(PerChannel, PollerTotalsTest, ::testing::Bool());

}  // namespace
}  // namespace presenced
