// Shards (CONTRACT §3 `shard:`): replicas against one Ably app poll disjoint channel sets that
// together cover every channel, and a change of shard.count re-homes channels without events: the
// shard that gives a channel up says nothing more about it (no leave), the one that takes it over
// starts it as a baseline (no enter for members already there), and from then on only the new
// owner reports its changes.

#include "common/shard.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"

namespace presenced::testing {
namespace {

constexpr int kRooms = 30;

std::string Room(int i) { return "room:" + std::to_string(i); }

class ShardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    for (int i = 0; i < kRooms; ++i) fake_.Enter(Room(i), "bob", "conn-" + std::to_string(i), "1");
    for (int i = 0; i < 6; ++i) all_.insert("lobby:" + std::to_string(i));  // configured, empty
    for (int i = 0; i < kRooms; ++i) all_.insert(Room(i));
  }

  std::string Config(int index, int count) const {
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
           "channels: [lobby:0, lobby:1, lobby:2, lobby:3, lobby:4, lobby:5]\n"
           "discovery:\n  prefixes: [\"room:\"]\n  interval: 300ms\n"
           // Explicitly: discovered channels get series of their own only then (Polled reads them).
           "metrics:\n  per_channel: true\n"
           "shard:\n  count: " +
           std::to_string(count) + "\n  index: " + std::to_string(index) + "\n";
  }

  DaemonHarness& Launch(int index, int count) {
    dirs_.push_back(std::make_unique<TempDir>());
    daemons_.push_back(std::make_unique<DaemonHarness>(*dirs_.back(), Config(index, count)));
    EXPECT_TRUE(daemons_.back()->Start());
    EXPECT_TRUE(daemons_.back()->WaitReady());
    return *daemons_.back();
  }

  // The channels a daemon polls successfully (its per-channel last-success series).
  static std::set<std::string> Polled(const DaemonHarness& daemon) {
    static const std::regex series(
        R"re(presenced_channel_last_success_timestamp_seconds\{channel="([^"]+)"\})re");
    const std::string text = daemon.Metrics();
    std::set<std::string> channels;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), series);
         it != std::sregex_iterator(); ++it) {
      channels.insert((*it)[1]);
    }
    return channels;
  }

  // True when every channel is polled by exactly one daemon, the one ShardOwner names.
  bool CoveredExactlyOnce(int count) {
    std::set<std::string> seen;
    size_t total = 0;
    for (int index = 0; index < count; ++index) {
      for (const std::string& channel : Polled(*daemons_[index])) {
        if (ShardOwner(channel, count) != index) return false;
        seen.insert(channel);
        ++total;
      }
    }
    return seen == all_ && total == all_.size();
  }

  // Who polls what, and who should, for a failure message.
  std::string Coverage(int count) {
    std::string out;
    for (int index = 0; index < count; ++index) {
      out += "\nshard " + std::to_string(index) + " polls:";
      for (const std::string& channel : Polled(*daemons_[index])) {
        out += " " + channel + (ShardOwner(channel, count) == index ? "" : "(not its own)");
      }
    }
    for (int index = 0; index < count; ++index) {
      std::istringstream log(daemons_[index]->process().Stderr());
      for (std::string line; std::getline(log, line);) {
        if (line.find("reload") != std::string::npos) {
          out += "\nshard " + std::to_string(index) + " log: " + line;
        }
      }
    }
    for (const std::string& channel : all_) {
      bool polled = false;
      for (int index = 0; index < count; ++index)
        polled |= Polled(*daemons_[index]).count(channel) > 0;
      if (!polled)
        out += "\nnobody polls " + channel + " (owner " +
               std::to_string(ShardOwner(channel, count)) + ")";
    }
    return out;
  }

  FakeAblyServer fake_{FakeOptions()};
  std::set<std::string> all_;
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<std::unique_ptr<DaemonHarness>> daemons_;
};

TEST_F(ShardTest, ReplicasCoverEveryChannelOnceAndACountChangeRehomesWithoutEvents) {
  Launch(0, 2);
  Launch(1, 2);
  ASSERT_TRUE(WaitFor([&] { return CoveredExactlyOnce(2); })) << "two shards";
  EXPECT_EQ(daemons_[0]->Metric("presenced_shard_info{count=\"2\",index=\"0\"}"), 1);

  // Grow to three: a new replica, and the two others reloaded with count 3.
  Launch(2, 3);
  for (int index = 0; index < 2; ++index) {
    daemons_[index]->RewriteConfig(Config(index, 3));
    daemons_[index]->process().Signal(SIGHUP);
  }
  // Three replicas take turns at the one enumeration Ably allows per app: under a sanitizer on a
  // loaded machine that can take longer than the default deadline.
  ASSERT_TRUE(WaitFor([&] { return CoveredExactlyOnce(3); }, std::chrono::seconds(60)))
      << "three shards" << Coverage(3);
  for (auto& daemon : daemons_) ASSERT_TRUE(daemon->WaitCycles(2));
  EXPECT_EQ(daemons_[1]->Metric("presenced_shard_info{count=\"3\",index=\"1\"}"), 1);
  // Re-homing emitted nothing: no leave from the shards that gave channels up, no enter from the
  // one that took them over (bob was there all along).
  for (auto& daemon : daemons_) {
    EXPECT_TRUE(daemon->process().StdoutLines().empty()) << daemon->process().Stdout();
  }

  // From now on each channel's changes come from its owner only, exactly once.
  for (int i = 0; i < kRooms; ++i) fake_.Leave(Room(i), "bob", "conn-" + std::to_string(i));
  auto leaves = [&](int index) {
    std::set<std::string> rooms;
    for (const std::string& line : daemons_[index]->process().StdoutLines()) {
      std::smatch match;
      if (std::regex_search(line, match, std::regex(R"re("channel":"(room:[0-9]+)")re")) &&
          line.find("\"action\":\"leave\"") != std::string::npos) {
        rooms.insert(match[1]);
      }
    }
    return rooms;
  };
  ASSERT_TRUE(WaitFor([&] {
    size_t total = 0;
    for (int index = 0; index < 3; ++index) total += leaves(index).size();
    return total >= kRooms;
  }));
  for (int index = 0; index < 3; ++index) {
    for (const std::string& room : leaves(index)) EXPECT_EQ(ShardOwner(room, 3), index) << room;
    EXPECT_EQ(daemons_[index]->process().StdoutLines().size(), leaves(index).size())
        << "only leaves, each once: " << daemons_[index]->process().Stdout();
  }
}

}  // namespace
}  // namespace presenced::testing
