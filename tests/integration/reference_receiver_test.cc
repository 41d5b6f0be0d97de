// The reference receiver (deploy/receiver/presence_receiver.py) against the real presenced: its
// view of every channel must equal the fake Ably's member set after churn, after an outage in
// which the receiver stops answering, after a dead-letter replay (old events arriving late), and
// for a receiver that starts late, after the next sync; in both webhook formats. An unsigned
// request is refused.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <memory>
#include <random>
#include <set>

#include "daemon_harness.h"
#include "test_seed.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// One receiver process; learns its port from the "listening on HOST:PORT" line.
class Receiver {
 public:
  Receiver()
      : process_({"/usr/bin/python3", PRESENCED_SOURCE_DIR "/deploy/receiver/presence_receiver.py",
                  "--port", "0"},
                 {{"PRESENCED_WEBHOOK_SECRET", kSecret}}) {}

  bool Start() {
    return WaitFor([&] {
      const std::string out = process_.Stdout();
      const auto at = out.find("listening on 127.0.0.1:");
      if (at == std::string::npos || out.find('\n', at) == std::string::npos) return false;
      port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 23)));
      return true;
    });
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  uint16_t port() const { return port_; }
  ChildProcess& process() { return process_; }

  // (clientId, connectionId) pairs the receiver holds for `channel`.
  std::set<std::pair<std::string, std::string>> View(const std::string& channel) const {
    std::set<std::pair<std::string, std::string>> view;
    const HttpReply reply = Get(port_, "/channels/" + channel);
    if (reply.status != 200) return {{"<error>", std::to_string(reply.status)}};
    auto members = ParseObject(reply.body)->getArray("members");
    for (size_t i = 0; i < members->size(); ++i) {
      auto m = members->getObject(i);
      view.emplace(m->getValue<std::string>("clientId"), m->getValue<std::string>("connectionId"));
    }
    return view;
  }

 private:
  ChildProcess process_;
  uint16_t port_ = 0;
};

class ReferenceReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    ASSERT_TRUE(events_.Start());
    ASSERT_TRUE(ably_.Start());
  }

  // A webhook `name` posting to `receiver`; `extra` adds keys (e.g. sync_every).
  static std::string Webhook(const std::string& name, const std::string& format,
                             const std::string& url, const std::string& give_up_after = "1h",
                             const std::string& extra = "") {
    return "  - name: " + name + "\n    url: " + url + "\n    format: " + format +
           "\n    secret_env: HOOK_SECRET\n"
           "    batch: {max_events: 5, max_delay: 50ms}\n    timeout: 500ms\n"
           "    retry: {initial_backoff: 50ms, max_backoff: 200ms, give_up_after: " +
           give_up_after + "}\n" + extra;
  }

  // Both receivers' webhooks plus `more`; `events_url` and `events_give_up` override where the
  // `events` one posts and when it gives up (a short give_up_after only while it is unreachable:
  // on a loaded machine a slow receiver would see batches dead-lettered too).
  std::string Config(const std::string& more = "", const std::string& events_url = "",
                     const std::string& events_give_up = "1h") {
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 100ms\nchannels: [r0, r1, r2]\nwebhooks:\n" +
           Webhook("events", "events", events_url.empty() ? events_.Url() : events_url,
                   events_give_up) +
           Webhook("ably", "ably", ably_.Url()) + more;
  }

  std::map<std::string, std::string> Env() const {
    return {{"ABLY_API_KEY", kFakeKey}, {"HOOK_SECRET", kSecret}};
  }

  // Random enters, updates and leaves; `truth` follows the fake's member set.
  void Churn(int steps) {
    for (int i = 0; i < steps; ++i) {
      const std::string channel = "r" + std::to_string(rng_() % 3);
      auto& members = truth_[channel];
      const int kind = static_cast<int>(rng_() % 3);
      if (kind == 0 || members.empty()) {
        const std::string client = "u" + std::to_string(rng_() % 8);  // one client, many tabs
        const std::string conn = "k" + std::to_string(next_conn_++);
        fake_.Enter(channel, client, conn, "\"hi\"");
        members.emplace(client, conn);
      } else {
        auto it = std::next(members.begin(), static_cast<long>(rng_() % members.size()));
        if (it->first == "early") continue;  // stays, so a late receiver surely lacks something
        if (kind == 1) {
          fake_.Leave(channel, it->first, it->second);
          members.erase(it);
        } else {
          fake_.Update(channel, it->first, it->second, "\"v" + std::to_string(rng_()) + "\"");
        }
      }
    }
  }

  bool Matches(const Receiver& receiver) {
    for (const char* channel : {"r0", "r1", "r2"}) {
      if (receiver.View(channel) != truth_[channel]) return false;
    }
    return true;
  }
  bool Converged(const Receiver& receiver) {
    return WaitFor([&] { return Matches(receiver); }, seconds(30));
  }

  static int Reloads(DaemonHarness& daemon) {
    const std::string log = daemon.process().Stderr();
    int n = 0;
    for (size_t at = log.find("reload: config "); at != std::string::npos;
         at = log.find("reload: config ", at + 1)) {
      if (log.compare(log.find(' ', at + 15), 9, " applied ") == 0) ++n;
    }
    return n;
  }

  // One member in every channel, so a receiver that missed the start has something to miss.
  void EnterEverywhere() {
    for (const char* channel : {"r0", "r1", "r2"}) {
      const std::string conn = "k" + std::to_string(next_conn_++);
      fake_.Enter(channel, "early", conn, "\"hi\"");
      truth_[channel].emplace("early", conn);
    }
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  Receiver events_, ably_;
  std::mt19937 rng_{static_cast<std::mt19937::result_type>(FreshTestSeed())};
  std::map<std::string, std::set<std::pair<std::string, std::string>>> truth_;
  int next_conn_ = 0;
};

TEST_F(ReferenceReceiverTest, ViewEqualsAblyAfterChurnAndAnOutage) {
  DaemonHarness daemon(dir_, Config(), Env());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  for (int round = 0; round < 5; ++round) {
    Churn(10);
    ASSERT_TRUE(daemon.WaitCycles(1));
  }
  EXPECT_TRUE(Converged(events_));
  EXPECT_TRUE(Converged(ably_));

  // Outage: both receivers stop answering (requests time out and are retried), members churn.
  events_.process().Signal(SIGSTOP);
  ably_.process().Signal(SIGSTOP);
  for (int round = 0; round < 5; ++round) {
    Churn(10);
    ASSERT_TRUE(daemon.WaitCycles(1));
  }
  ASSERT_TRUE(WaitFor([&] {
    return daemon.Metric(R"(presenced_webhook_requests_total{status="error",webhook="events"})") >
           0;
  }));
  events_.process().Signal(SIGCONT);
  ably_.process().Signal(SIGCONT);
  EXPECT_TRUE(Converged(events_));
  EXPECT_TRUE(Converged(ably_));
}

// Events dead-lettered while the receiver was unreachable come back with --replay-dead-letters
// after newer ones were delivered: on their own they would resurrect a member who has left since.
// The sync queued after them puts the receiver's view right.
TEST_F(ReferenceReceiverTest, ADeadLetterReplayIsFollowedByASyncThatFixesTheView) {
  auto daemon = std::make_unique<DaemonHarness>(dir_, Config(), Env());
  ASSERT_TRUE(daemon->Start());
  ASSERT_TRUE(daemon->WaitReady());
  Churn(10);
  ASSERT_TRUE(Converged(events_));

  // The webhook points at a refused port for a while: ghost's enter is given up on.
  BoundPort refused;
  daemon->RewriteConfig(
      Config("", "http://127.0.0.1:" + std::to_string(refused.port()) + "/", "1s"));
  daemon->process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Reloads(*daemon) == 1; }));
  fake_.Enter("r0", "ghost", "kg", "\"boo\"");
  ASSERT_TRUE(WaitFor(
      [&] {
        return daemon->Metric(R"(presenced_webhook_dead_letter_events{webhook="events"})") >= 1;
      },
      seconds(30)));
  // Reachable again; ghost leaves and that leave is delivered (a no-op for a receiver that never
  // saw the enter).
  daemon->RewriteConfig(Config());
  daemon->process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Reloads(*daemon) == 2; }));
  fake_.Leave("r0", "ghost", "kg");
  Churn(5);
  // The receiver's view cannot show that ghost's leave was seen (it never had ghost), and Churn's
  // updates do not change it either: wait for a cycle that began after the leave, so the stored
  // state the replay's sync is built from no longer has ghost.
  ASSERT_TRUE(daemon->WaitCycles(2));
  ASSERT_TRUE(Converged(events_));
  ASSERT_TRUE(WaitFor([&] {
    return daemon->Metric(R"(presenced_webhook_pending_events{webhook="events"})") == 0;
  }));

  daemon->process().Signal(SIGTERM);
  ASSERT_EQ(daemon->process().Wait(seconds(20)), 0);
  ChildProcess replay(
      {PRESENCED_BINARY, "--config", daemon->config_path(), "--replay-dead-letters", "events"},
      Env());
  ASSERT_EQ(replay.Wait(seconds(20)), 0) << replay.Stderr();
  const std::string said = replay.Stdout();
  ASSERT_EQ(said.rfind("moved ", 0), 0u) << said;
  const int replayed = std::stoi(said.substr(6));
  ASSERT_GE(replayed, 1);
  EXPECT_NE(said.find("queued a sync of 3 channels"), std::string::npos) << said;

  daemon = std::make_unique<DaemonHarness>(dir_, Config(), Env());
  ASSERT_TRUE(daemon->Start());
  // The replayed enter of ghost arrives late, then the three syncs: ghost is gone again.
  ASSERT_TRUE(WaitFor([&] {
    return daemon->Metric(R"(presenced_webhook_events_delivered_total{webhook="events"})") >=
           replayed + 3;
  }));
  EXPECT_TRUE(Matches(events_));
  EXPECT_EQ(events_.View("r0").count({"ghost", "kg"}), 0u);
  EXPECT_TRUE(Converged(ably_));
}

// A receiver added after members entered has missed their enters; the next sync (POST /-/sync
// for one webhook, `sync_every` for the other) gives it the whole member set.
TEST_F(ReferenceReceiverTest, AReceiverThatStartsLateConvergesAfterTheNextSync) {
  DaemonHarness daemon(dir_, Config(), Env());
  daemon.EnableLifecycle();
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EnterEverywhere();
  Churn(10);
  ASSERT_TRUE(Converged(events_));

  Receiver late_events, late_ably;
  ASSERT_TRUE(late_events.Start());
  ASSERT_TRUE(late_ably.Start());
  daemon.RewriteConfig(
      Config(Webhook("late-events", "events", late_events.Url()) +
             Webhook("late-ably", "ably", late_ably.Url(), "1h", "    sync_every: 1s\n")));
  ASSERT_EQ(Post(daemon.port(), "/-/reload", "").status, 200);
  ASSERT_TRUE(WaitFor([&] { return Reloads(daemon) == 1; }));
  Churn(5);
  ASSERT_TRUE(Converged(events_));
  // Only what changed since it was added reached the late receiver: not the early members.
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_FALSE(Matches(late_events));

  EXPECT_EQ(Post(daemon.port(), "/-/sync?webhook=late-events", "").status, 202);
  EXPECT_TRUE(Converged(late_events));
  EXPECT_TRUE(Converged(late_ably));  // by its sync_every
  EXPECT_GE(daemon.Metric(R"(presenced_events_total{action="sync"})"), 6);
  // Churn after the sync keeps both in step through the ordinary events.
  Churn(10);
  EXPECT_TRUE(Converged(late_events));
  EXPECT_TRUE(Converged(late_ably));
}

TEST_F(ReferenceReceiverTest, RefusesAnUnsignedRequest) {
  const std::string body =
      R"({"events":[{"id":"x","channel":"r0","action":"enter","clientId":"eve",)"
      R"("connectionId":"k","memberId":"k:0:0"}]})";
  EXPECT_EQ(Post(events_.port(), "/", body).status, 401);
  EXPECT_TRUE(events_.View("r0").empty());
}

}  // namespace
}  // namespace presenced::testing
