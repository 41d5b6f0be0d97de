// The reference receiver (deploy/receiver/presence_receiver.py) against the real presenced: its
// view of every channel must equal the fake Ably's member set after churn and after an outage in
// which the receiver stops answering, in both webhook formats; an unsigned request is refused.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <random>
#include <set>

#include "daemon_harness.h"

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

  std::string Config() {
    std::string webhooks;
    for (auto [name, format, receiver] :
         {std::tuple{"events", "events", &events_}, std::tuple{"ably", "ably", &ably_}}) {
      webhooks += std::string("  - name: ") + name + "\n    url: " + receiver->Url() +
                  "\n    format: " + format +
                  "\n    secret_env: HOOK_SECRET\n"
                  "    batch: {max_events: 5, max_delay: 50ms}\n    timeout: 500ms\n"
                  "    retry: {initial_backoff: 50ms, max_backoff: 200ms, give_up_after: 1h}\n";
    }
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 100ms\nchannels: [r0, r1, r2]\nwebhooks:\n" + webhooks;
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
        if (kind == 1) {
          fake_.Leave(channel, it->first, it->second);
          members.erase(it);
        } else {
          fake_.Update(channel, it->first, it->second, "\"v" + std::to_string(rng_()) + "\"");
        }
      }
    }
  }

  bool Converged(const Receiver& receiver) {
    return WaitFor(
        [&] {
          for (const char* channel : {"r0", "r1", "r2"}) {
            if (receiver.View(channel) != truth_[channel]) return false;
          }
          return true;
        },
        seconds(30));
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  Receiver events_, ably_;
  std::mt19937 rng_{std::random_device{}()};
  std::map<std::string, std::set<std::pair<std::string, std::string>>> truth_;
  int next_conn_ = 0;
};

TEST_F(ReferenceReceiverTest, ViewEqualsAblyAfterChurnAndAnOutage) {
  DaemonHarness daemon(dir_, Config(), {{"ABLY_API_KEY", kFakeKey}, {"HOOK_SECRET", kSecret}});
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

TEST_F(ReferenceReceiverTest, RefusesAnUnsignedRequest) {
  const std::string body =
      R"({"events":[{"id":"x","channel":"r0","action":"enter","clientId":"eve",)"
      R"("connectionId":"k","memberId":"k:0:0"}]})";
  EXPECT_EQ(Post(events_.port(), "/", body).status, 401);
  EXPECT_TRUE(events_.View("r0").empty());
}

}  // namespace
}  // namespace presenced::testing
