// presence.channel_events end to end, in both modes: the real presenced binary, the fake Ably
// server and one receiver for two webhooks, one per format. `occupied` follows the first enter
// and `vacated` the last leave, once each; in format ably they are Ably's channel lifecycle items
// (`channel.occupied` / `channel.vacated`); a restart does not repeat them; the gauge
// presenced_channels_occupied follows.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;
using Strings = std::vector<std::string>;

class ChannelEventsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fake_.Start();
    receiver_.Start();
  }

  std::string Config(const std::string& initial_snapshot = "baseline") {
    const std::string hook = "    url: " + receiver_.Url() +
                             "\n    actions: [present, enter, leave, occupied, vacated]\n"
                             "    batch: {max_events: 100, max_delay: 50ms}\n";
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 200ms\nchannels: [room]\npresence:\n  mode: " + GetParam() +
           "\n  channel_events: true\n  initial_snapshot: " + initial_snapshot +
           "\nwebhooks:\n  - name: ev\n    format: events\n" + hook +
           "  - name: ab\n    format: ably\n" + hook;
  }

  // "action clientId" of every event the events-format webhook got, in order.
  Strings EventsFormat() {
    Strings out;
    for (const auto& request : receiver_.Requests()) {
      if (request.body.rfind("{\"events\":", 0) != 0) continue;
      auto events = Poco::JSON::Parser()
                        .parse(request.body)
                        .extract<Poco::JSON::Object::Ptr>()
                        ->getArray("events");
      for (size_t i = 0; i < events->size(); ++i) {
        auto e = events->getObject(i);
        out.push_back(e->getValue<std::string>("action") +
                      (e->has("clientId") ? " " + e->getValue<std::string>("clientId") : ""));
      }
    }
    return out;
  }

  // The items of the ably-format webhook, in order.
  std::vector<Poco::JSON::Object::Ptr> AblyItems() {
    std::vector<Poco::JSON::Object::Ptr> out;
    for (const auto& request : receiver_.Requests()) {
      if (request.body.rfind("{\"items\":", 0) != 0) continue;
      auto items = Poco::JSON::Parser()
                       .parse(request.body)
                       .extract<Poco::JSON::Object::Ptr>()
                       ->getArray("items");
      for (size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(i));
    }
    return out;
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
  WebhookReceiver receiver_;
};

TEST_P(ChannelEventsTest, OccupiedAfterTheFirstEnterVacatedAfterTheLastLeaveInBothFormats) {
  {
    DaemonHarness daemon(dir_, Config());
    ASSERT_TRUE(daemon.Start());
    ASSERT_TRUE(daemon.WaitReady());
    fake_.Enter("room", "ann", "a1", "\"x\"");
    ASSERT_TRUE(WaitFor([&] { return EventsFormat().size() >= 2; }));
    EXPECT_EQ(daemon.Metric("presenced_channels_occupied"), 1);
    fake_.Leave("room", "ann", "a1");
    const Strings want = {"enter ann", "occupied", "leave ann", "vacated"};
    ASSERT_TRUE(WaitFor([&] { return EventsFormat() == want; })) << EventsFormat().size();
    ASSERT_TRUE(WaitFor([&] { return AblyItems().size() == 4; }));
    EXPECT_EQ(daemon.Metric("presenced_channels_occupied"), 0);
    EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="occupied"})"), 1);
    EXPECT_EQ(daemon.Metric(R"(presenced_events_total{action="vacated"})"), 1);
    daemon.process().Signal(SIGTERM);
    ASSERT_EQ(daemon.process().Wait(seconds(10)), 0);
  }
  const auto items = AblyItems();
  const Strings names = {"presence.message", "channel.occupied", "presence.message",
                         "channel.vacated"};
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(items[i]->getValue<std::string>("name"), names[i]) << i;
  }
  for (size_t i : {1, 3}) {
    EXPECT_EQ(items[i]->getValue<std::string>("source"), "channel.lifecycle");
    auto data = items[i]->getObject("data");
    EXPECT_EQ(data->getValue<std::string>("channelId"), "room");
    EXPECT_EQ(data->getValue<std::string>("name"), "room");
    EXPECT_EQ(data->getObject("status")->getValue<bool>("isActive"), i == 1);
    EXPECT_EQ(data->getValue<std::string>("id").size(), 32u);
  }

  // A restart on the same state repeats neither.
  const size_t before = receiver_.Count();
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(5));
  EXPECT_EQ(receiver_.Count(), before);
  EXPECT_EQ(daemon.Metric("presenced_channels_occupied"), 0);
}

// initial_snapshot decides whether a room occupied at the first cycle gets `occupied` (as it
// decides about `present`); a failed fetch never makes a room look vacated.
TEST_P(ChannelEventsTest, InitialSnapshotDecidesTheFirstCycleAndAFailedFetchVacatesNothing) {
  fake_.Enter("room", "ann", "a1", "\"x\"");
  {
    TempDir baseline_dir;
    DaemonHarness baseline(baseline_dir, Config("baseline"));
    ASSERT_TRUE(baseline.Start());
    ASSERT_TRUE(baseline.WaitReady());
    ASSERT_TRUE(baseline.WaitCycles(3));
    EXPECT_EQ(baseline.Metric("presenced_channels_occupied"), 1);
    EXPECT_TRUE(EventsFormat().empty());
  }
  DaemonHarness daemon(dir_, Config("present"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] {
    return EventsFormat() == Strings{"present ann", "occupied"};
  })) << EventsFormat().size();
  fake_.SetChannelError("room", 50000, 500);
  ASSERT_TRUE(daemon.WaitCycles(4));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  EXPECT_EQ(daemon.Metric("presenced_channels_occupied"), 1);
  fake_.ClearChannelError("room");
  ASSERT_TRUE(daemon.WaitCycles(4));
  EXPECT_EQ(EventsFormat(), (Strings{"present ann", "occupied"}));
}

INSTANTIATE_TEST_SUITE_P(Modes, ChannelEventsTest, ::testing::Values("snapshot", "history"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace presenced::testing
