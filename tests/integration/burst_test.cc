// A burst (a region reconnect): every member of every channel leaves and re-enters within one
// cycle. The real presenced binary, the fake Ably server and a fake receiver: every event of the
// burst is delivered exactly once, and each channel's events arrive in the order presenced
// emitted them (its stdout), through batches whose acknowledgements are group-committed.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

constexpr int kMembers = 300;
const std::vector<std::string> kChannels = {"c0", "c1", "c2"};

// The (id, action, connectionId) of each event, per channel, in the order given.
using PerChannel = std::map<std::string, std::vector<std::string>>;

void AddEvent(const Poco::JSON::Object::Ptr& event, PerChannel& out) {
  out[event->getValue<std::string>("channel")].push_back(
      event->getValue<std::string>("id") + " " + event->getValue<std::string>("action") + " " +
      event->getValue<std::string>("connectionId"));
}

PerChannel Received(const WebhookReceiver& receiver) {
  PerChannel out;
  for (const auto& request : receiver.Requests()) {
    auto root = Poco::JSON::Parser().parse(request.body).extract<Poco::JSON::Object::Ptr>();
    auto events = root->getArray("events");
    for (size_t i = 0; i < events->size(); ++i) AddEvent(events->getObject(i), out);
  }
  return out;
}

PerChannel Printed(const ChildProcess& process) {
  PerChannel out;
  for (const std::string& line : process.StdoutLines()) {
    if (line.empty() || line[0] != '{') continue;
    AddEvent(Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>(), out);
  }
  return out;
}

size_t Total(const PerChannel& events) {
  size_t n = 0;
  for (const auto& [channel, list] : events) n += list.size();
  return n;
}

TEST(BurstTest, EveryMemberLeavingAndReenteringIsDeliveredOnceInOrderPerChannel) {
  TempDir dir;
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  WebhookReceiver receiver;
  receiver.Start();
  for (const std::string& channel : kChannels) fake.AddMembers(channel, kMembers, "m");

  DaemonHarness daemon(
      dir, "ably:\n  endpoint: " + fake.BaseUrl() +
               "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
               "channels: [c0, c1, c2]\n"
               "webhooks:\n  - name: main\n    url: " +
               receiver.Url() +
               "\n    format: events\n    batch: {max_events: 100, max_delay: 100ms}\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  ASSERT_EQ(receiver.Count(), 0u) << "the first snapshot is a baseline";

  // The channels fail while every member reconnects, so the next good poll sees it all at once.
  for (const std::string& channel : kChannels) fake.SetChannelError(channel, 50000, 500);
  ASSERT_TRUE(daemon.WaitCycles(1));
  for (const std::string& channel : kChannels) {
    for (int i = 0; i < kMembers; ++i) {
      const std::string n = std::to_string(i);
      ASSERT_TRUE(fake.Leave(channel, "m" + n, "c" + n));
      fake.Enter(channel, "m" + n, "r" + n, R"("back")");
    }
  }
  for (const std::string& channel : kChannels) fake.ClearChannelError(channel);

  const size_t want = kChannels.size() * kMembers * 2;
  ASSERT_TRUE(WaitFor([&] { return Total(Received(receiver)) >= want; }, seconds(60)))
      << Total(Received(receiver)) << " of " << want << " events";
  ASSERT_TRUE(daemon.WaitCycles(2));
  const PerChannel received = Received(receiver);
  const PerChannel printed = Printed(daemon.process());
  EXPECT_EQ(Total(received), want) << "no event twice";
  EXPECT_EQ(received, printed) << "each channel's events in the order presenced emitted them";

  std::set<std::string> ids;
  for (const std::string& channel : kChannels) {
    const std::vector<std::string>& events = received.at(channel);
    ASSERT_EQ(events.size(), static_cast<size_t>(2 * kMembers)) << channel;
    size_t leaves = 0, enters = 0;
    for (const std::string& event : events) {
      ids.insert(event.substr(0, event.find(' ')));
      if (event.find(" leave c") != std::string::npos) ++leaves;
      if (event.find(" enter r") != std::string::npos) ++enters;
    }
    EXPECT_EQ(leaves, static_cast<size_t>(kMembers)) << channel;
    EXPECT_EQ(enters, static_cast<size_t>(kMembers)) << channel;
  }
  EXPECT_EQ(ids.size(), want) << "every event has its own id";
  EXPECT_EQ(daemon.Metric("presenced_webhook_pending_events{webhook=\"main\"}"), 0);
}

}  // namespace
}  // namespace presenced::testing
