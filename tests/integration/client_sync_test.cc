// End-to-end tests of per-clientId presence and sync events with the real presenced binary:
// `online`/`offline` with presence.client_events, presenced_clients_distinct, POST /-/sync and
// the `sync` event in both webhook formats.

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

class ClientSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.Start();
    receiver_.Start();
  }

  std::string Config(const std::string& presence, const std::string& webhooks = "") {
    return AblyTestConfig(fake_, "",
                          "channels: [a, b]\npresence:\n" + presence +
                              (webhooks.empty() ? "" : "webhooks:\n" + webhooks));
  }

  // Every event the receiver got, as "action channel clientId" ("sync channel n" for a sync of
  // n members), in the order received.
  std::vector<std::string> Received() const {
    std::vector<std::string> out;
    for (const ReceivedWebhook& request : receiver_.Requests()) {
      if (request.answered != 200) continue;
      auto events = Poco::JSON::Parser()
                        .parse(request.body)
                        .extract<Poco::JSON::Object::Ptr>()
                        ->getArray("events");
      for (size_t i = 0; i < events->size(); ++i) {
        auto e = events->getObject(i);
        const std::string action = e->getValue<std::string>("action");
        const std::string channel = e->getValue<std::string>("channel");
        out.push_back(action == "sync"
                          ? action + " " + channel + " " +
                                std::to_string(e->getArray("members")->size())
                          : action + " " + channel + " " + e->getValue<std::string>("clientId"));
      }
    }
    return out;
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  WebhookReceiver receiver_;
};

TEST_F(ClientSyncTest, OnlineFollowsTheFirstConnectionAndOfflineTheLast) {
  DaemonHarness daemon(dir_, Config("  client_events: true\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  auto printed = [&] { return PrintedEvents(daemon.process()); };
  using Events = std::vector<std::string>;

  fake_.Enter("a", "ann", "tab1", "\"x\"");
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 2; }));
  fake_.Enter("a", "ann", "tab2", "\"x\"");  // a second tab: no new online
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 3; }));
  fake_.Enter("b", "ann", "tab3", "\"x\"");  // online in another channel
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 5; }));
  EXPECT_EQ(daemon.Metric("presenced_clients_distinct"), 1);
  EXPECT_EQ(daemon.Metric(R"(presenced_clients{channel="a"})") +
                daemon.Metric(R"(presenced_clients{channel="b"})"),
            2);
  fake_.Leave("a", "ann", "tab1");  // one tab of two closes: still online
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 6; }));
  fake_.Leave("a", "ann", "tab2");
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 8; }));
  EXPECT_EQ(printed(), (Events{"enter a ann", "online a ann", "enter a ann", "enter b ann",
                               "online b ann", "leave a ann", "leave a ann", "offline a ann"}));
  EXPECT_EQ(daemon.Metric("presenced_clients_distinct"), 1);  // still in b
  fake_.Leave("b", "ann", "tab3");
  ASSERT_TRUE(WaitFor([&] { return printed().size() == 10; }));
  EXPECT_EQ(daemon.Metric("presenced_clients_distinct"), 0);
  EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="online"})"), 2);
  EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="offline"})"), 2);
}

TEST_F(ClientSyncTest, ClientEventsAreOffByDefaultButDistinctClientsAreCounted) {
  fake_.Enter("a", "ann", "k1", "\"x\"");
  fake_.Enter("b", "ann", "k2", "\"x\"");
  fake_.Enter("b", "bob", "k3", "\"x\"");
  DaemonHarness daemon(dir_, Config("  leave_after_misses: 1\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(daemon.Metric("presenced_clients_distinct"), 2);  // counted from the first snapshot
  fake_.Leave("b", "bob", "k3");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave b bob"); }));
  EXPECT_EQ(PrintedEvents(daemon.process()), std::vector<std::string>{"leave b bob"});
  EXPECT_EQ(daemon.Metric("presenced_clients_distinct"), 1);

  // After a restart the count comes from the stored snapshots.
  daemon.process().Signal(SIGTERM);
  ASSERT_EQ(daemon.process().Wait(seconds(20)), 0);
  DaemonHarness again(dir_, Config("  leave_after_misses: 1\n"));
  ASSERT_TRUE(again.Start());
  ASSERT_TRUE(again.WaitReady());
  EXPECT_EQ(again.Metric("presenced_clients_distinct"), 1);
}

TEST_F(ClientSyncTest, ActionsFilterRoutesClientEventsLikeTheOthers) {
  const std::string hook = "  - name: users\n    url: " + receiver_.Url() +
                           "\n    format: events\n    actions: [online, offline]\n"
                           "    batch: {max_events: 100, max_delay: 10ms}\n";
  DaemonHarness daemon(dir_, Config("  client_events: true\n", hook));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.Enter("a", "ann", "k1", "\"x\"");
  fake_.Enter("a", "bob", "k2", "\"x\"");
  ASSERT_TRUE(WaitFor([&] { return Received().size() == 2; }));
  fake_.Leave("a", "ann", "k1");
  ASSERT_TRUE(WaitFor([&] { return Received().size() == 3; }));
  EXPECT_EQ(Received(),
            (std::vector<std::string>{"online a ann", "online a bob", "offline a ann"}));
}

TEST_F(ClientSyncTest, PostSyncSendsEveryChannelsMemberSetInBothFormats) {
  WebhookReceiver ably;
  ably.Start();
  const std::string hooks = "  - name: events\n    url: " + receiver_.Url() +
                            "\n    format: events\n    batch: {max_events: 1, max_delay: 10ms}\n" +
                            "  - name: ably\n    url: " + ably.Url() +
                            "\n    format: ably\n    channels: [b]\n";
  fake_.Enter("a", "ann", "k1", R"({"mood":"ok"})");
  fake_.Enter("a", "bob", "k2", "\"x\"");
  DaemonHarness daemon(dir_, Config("  initial_snapshot: baseline\n", hooks));
  daemon.EnableLifecycle();
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(Post(daemon.port(), "/-/sync", "").status, 400);
  EXPECT_EQ(Post(daemon.port(), "/-/sync?webhook=nope", "").status, 404);
  EXPECT_EQ(receiver_.Count(), 0u);

  const HttpReply reply = Post(daemon.port(), "/-/sync?webhook=events", "");
  EXPECT_EQ(reply.status, 202) << reply.body;
  // One sync per channel, one per request (max_events: 1): a big sync is many small requests.
  ASSERT_TRUE(WaitFor([&] { return Received().size() == 2; }));
  EXPECT_EQ(Received(), (std::vector<std::string>{"sync a 2", "sync b 0"}));
  EXPECT_EQ(receiver_.Count(), 2u);
  const std::string body = receiver_.Requests()[0].body;
  EXPECT_NE(body.find(R"("members":[{"clientId":"ann","connectionId":"k1","memberId":")"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("data":{"mood":"ok"})"), std::string::npos) << body;
  EXPECT_EQ(ably.Count(), 0u) << "only the webhook named is synced";

  // The ably webhook routes only channel b.
  fake_.Enter("b", "cat", "k3", "\"y\"");
  ASSERT_TRUE(WaitFor([&] { return ably.Count() == 1; }));
  ASSERT_EQ(Post(daemon.port(), "/-/sync?webhook=ably", "").status, 202);
  ASSERT_TRUE(WaitFor([&] { return ably.Count() == 2; }));
  const std::string item = ably.Requests()[1].body;
  EXPECT_NE(
      item.find(R"("name":"presence.sync","data":{"channelId":"b","site":"presenced","id":")"),
      std::string::npos)
      << item;
  EXPECT_NE(item.find(R"("presence":[{"clientId":"cat","connectionId":"k3","timestamp":)"),
            std::string::npos)
      << item;
  EXPECT_NE(item.find(R"("action":1,"data":"y")"), std::string::npos) << item;
  EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="sync"})"), 3);
}

TEST_F(ClientSyncTest, PostSyncIsForbiddenWithoutLifecycle) {
  DaemonHarness daemon(dir_, Config("  client_events: false\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  EXPECT_EQ(Post(daemon.port(), "/-/sync?webhook=x", "").status, 403);
}

TEST_F(ClientSyncTest, SyncEveryRepeatsTheSyncAndSurvivesNoChange) {
  const std::string hook = "  - name: events\n    url: " + receiver_.Url() +
                           "\n    format: events\n    channels: [a]\n    sync_every: 1s\n"
                           "    batch: {max_events: 100, max_delay: 10ms}\n";
  fake_.Enter("a", "ann", "k1", "\"x\"");
  DaemonHarness daemon(dir_, Config("  client_events: false\n", hook));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return Received().size() >= 2; }, seconds(20)));
  // Nothing changed: each sync is the same member set, and each is a new event id.
  const auto received = Received();
  EXPECT_EQ(received[0], "sync a 1");
  EXPECT_EQ(received[1], "sync a 1");
  const auto requests = receiver_.Requests();
  EXPECT_NE(requests[0].body.substr(0, 60), requests[1].body.substr(0, 60));
}

// presence.mode: history takes the same paths. A visit between two reads, which no snapshot would
// see, still gives online then offline, and POST /-/sync sends the member set history built.
TEST_F(ClientSyncTest, HistoryModeGivesClientEventsAndSyncsToo) {
  const std::string hook = "  - name: events\n    url: " + receiver_.Url() +
                           "\n    format: events\n    actions: [enter, leave, online, offline]\n"
                           "    batch: {max_events: 100, max_delay: 10ms}\n";
  DaemonHarness daemon(dir_, Config("  mode: history\n  client_events: true\n", hook));
  daemon.EnableLifecycle();
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.Enter("a", "ann", "k1", "\"x\"");
  fake_.Leave("a", "ann", "k1");
  fake_.Enter("a", "bob", "k2", "\"y\"");
  ASSERT_TRUE(WaitFor([&] { return Received().size() >= 6; }, seconds(20)));
  EXPECT_EQ(Received(), (std::vector<std::string>{"enter a ann", "online a ann", "leave a ann",
                                                  "offline a ann", "enter a bob", "online a bob"}));
  ASSERT_EQ(Post(daemon.port(), "/-/sync?webhook=events", "").status, 202);
  ASSERT_TRUE(WaitFor([&] { return Received().size() >= 8; }));
  const auto received = Received();
  EXPECT_EQ(std::vector<std::string>(received.begin() + 6, received.end()),
            (std::vector<std::string>{"sync a 1", "sync b 0"}));
  const std::string body = receiver_.Requests().back().body;
  EXPECT_NE(body.find(R"("members":[{"clientId":"bob","connectionId":"k2")"), std::string::npos)
      << body;
}

}  // namespace
}  // namespace presenced::testing
