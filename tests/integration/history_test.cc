// presence.mode: history end to end: the real presenced against the fake Ably, which records
// presence history as members change and bills like Ably. Short visits, Ably's timestamps, an
// outage longer than the retention healed by a reconcile, quiet reconciles, failed history reads
// and event ids equal to the snapshot path's.

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "http_test_client.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Seen {
  std::string id, action, client_id, member_id;
  int64_t timestamp = 0, observed_at = 0;
};

std::vector<Seen> PrintedOf(const ChildProcess& process, const std::string& client = "") {
  std::vector<Seen> out;
  for (const std::string& line : process.StdoutLines()) {
    auto e = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    Seen p{e->getValue<std::string>("id"),       e->getValue<std::string>("action"),
           e->getValue<std::string>("clientId"), e->optValue<std::string>("memberId", ""),
           e->getValue<int64_t>("timestamp"),    e->getValue<int64_t>("observedAt")};
    if (client.empty() || p.client_id == client) out.push_back(p);
  }
  return out;
}

std::vector<std::string> Actions(const std::vector<Seen>& events) {
  std::vector<std::string> out;
  for (const Seen& e : events) out.push_back(e.action);
  return out;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }

  std::string Config(const std::string& mode, int reconcile_every) const {
    return AblyTestConfig(fake_, "",
                          "channels: [room]\npresence:\n  mode: " + mode +
                              "\n  reconcile_every: " + std::to_string(reconcile_every) + "\n");
  }

  // The fake's history of `room`, oldest first (action, timestamp).
  std::vector<std::pair<int, int64_t>> FakeHistory() const {
    const HttpReply reply = Get(
        fake_.port(), "/channels/room/presence/history?direction=forwards&limit=1000",
        {{"Authorization", "Basic ZmFrZWFwcC5mYWtla2V5OmZha2VzZWNyZXQ="}});  // base64 of kFakeKey
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::vector<std::pair<int, int64_t>> out;
    auto items = ParseArray(reply.body);
    for (size_t i = 0; i < items->size(); ++i) {
      out.emplace_back(items->getObject(i)->getValue<int>("action"),
                       items->getObject(i)->getValue<int64_t>("timestamp"));
    }
    return out;
  }

  static double Corrections(const DaemonHarness& daemon, const std::string& action) {
    return daemon.Metric(R"(presenced_reconcile_corrections_total{action=")" + action + "\"}");
  }

  FakeAblyServer fake_{FakeOptions()};
  TempDir dir_;
};

TEST_F(HistoryTest, AVisitWithinOneIntervalIsAnEnterThenALeaveWithAblysTimestamps) {
  fake_.Enter("room", "bob", "kb", R"("1")");
  DaemonHarness daemon(dir_, Config("history", 20));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  const std::string id = fake_.Enter("room", "carol", "kc", R"("hi")");
  ASSERT_TRUE(fake_.Leave("room", "carol", "kc"));  // gone before the next poll
  ASSERT_TRUE(WaitFor([&] { return PrintedOf(daemon.process(), "carol").size() >= 2; }));
  const auto carol = PrintedOf(daemon.process(), "carol");
  ASSERT_EQ(Actions(carol), (std::vector<std::string>{"enter", "leave"}));
  EXPECT_EQ(carol[0].member_id, id);
  EXPECT_EQ(carol[1].member_id, id);  // the last id seen, as the snapshot path gives it
  const auto history = FakeHistory();
  ASSERT_EQ(history.size(), 3u);  // bob's enter, carol's enter and leave
  EXPECT_EQ(carol[0].timestamp, history[1].second);
  EXPECT_EQ(carol[1].timestamp, history[2].second);
  EXPECT_GE(carol[1].observed_at, carol[1].timestamp);
  EXPECT_TRUE(PrintedOf(daemon.process(), "bob").empty());  // the first cycle is a baseline
  EXPECT_GT(daemon.Metric("presenced_ably_billable_messages_total"), 0);
}

TEST_F(HistoryTest, AnOutageLongerThanTheRetentionIsHealedByAReconcile) {
  fake_.SetHistoryRetention(milliseconds(300));
  fake_.Enter("room", "bob", "kb", R"("1")");
  DaemonHarness daemon(dir_, Config("history", 1000));  // no periodic reconcile in this test
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  fake_.SetChannelError("room", 50003, 503, "outage");
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric(R"(presenced_channel_fetch_errors_total{code="50003"})") >= 1; }));
  fake_.Enter("room", "carol", "kc", R"("2")");
  ASSERT_TRUE(fake_.Leave("room", "bob", "kb"));
  ASSERT_TRUE(daemon.WaitCycles(6));  // > 300 ms: what history held of the outage is gone
  EXPECT_TRUE(daemon.process().StdoutLines().empty()) << "no events while nothing can be read";
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);
  fake_.ClearChannelError("room");
  ASSERT_TRUE(WaitFor(
      [&] { return Corrections(daemon, "enter") == 1 && Corrections(daemon, "leave") == 1; }));
  const auto events = PrintedOf(daemon.process());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action + " " + events[0].client_id, "leave bob");
  EXPECT_EQ(events[1].action + " " + events[1].client_id, "enter carol");
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0);
}

TEST_F(HistoryTest, AReconcileThatFindsNothingEmitsNothing) {
  fake_.Enter("room", "bob", "kb", R"("1")");
  fake_.Enter("room", "ann", "ka", R"("2")");
  DaemonHarness daemon(dir_, Config("history", 2));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(8));
  EXPECT_GE(fake_.Bill().snapshot, 2u * 4);  // reconciled every other cycle
  EXPECT_TRUE(daemon.process().StdoutLines().empty());
  for (const char* action : {"enter", "leave", "update"}) {
    EXPECT_EQ(Corrections(daemon, action), 0) << action;
  }
}

TEST_F(HistoryTest, FailedHistoryReadsGiveNoFalseLeaves) {
  fake_.Enter("room", "bob", "kb", R"("1")");
  fake_.Enter("room", "ann", "ka", R"("2")");
  DaemonHarness daemon(dir_, Config("history", 3));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  const size_t before = fake_.RequestCount();
  fake_.FailNextRequests(6, 500, 50000);
  ASSERT_TRUE(WaitFor([&] { return fake_.RequestCount() >= before + 6; }));
  fake_.GarbageNextResponses(3);
  ASSERT_TRUE(WaitFor([&] { return fake_.RequestCount() >= before + 9; }));
  fake_.TruncateNextResponses(3);
  ASSERT_TRUE(WaitFor([&] { return fake_.RequestCount() >= before + 12; }));
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_TRUE(daemon.process().StdoutLines().empty());
  EXPECT_EQ(daemon.Metric(R"(presenced_members{channel="room"})"), 2);
  ASSERT_TRUE(fake_.Leave("room", "ann", "ka"));
  ASSERT_TRUE(WaitFor([&] { return PrintedLeaves(daemon.process()) == 1; }));
  EXPECT_TRUE(Printed(daemon.process(), "leave room ann"));
}

TEST_F(HistoryTest, EventIdsAreEqualInBothModes) {
  fake_.Enter("room", "bob", "kb", R"("1")");
  TempDir other;
  DaemonHarness snapshots(other, Config("snapshot", 20));
  DaemonHarness history(dir_, Config("history", 20));
  ASSERT_TRUE(snapshots.Start());
  ASSERT_TRUE(history.Start());
  ASSERT_TRUE(snapshots.WaitReady());
  ASSERT_TRUE(history.WaitReady());
  ASSERT_TRUE(snapshots.WaitCycles(2));
  ASSERT_TRUE(history.WaitCycles(2));
  auto both_printed = [&](size_t n) {
    return WaitFor([&] {
      return PrintedOf(snapshots.process()).size() >= n && PrintedOf(history.process()).size() >= n;
    });
  };
  // One change at a time, each seen by both before the next, so the snapshot path sees it too.
  fake_.Enter("room", "alice", "kx", R"("a")");
  ASSERT_TRUE(both_printed(1));
  fake_.Update("room", "alice", "kx", R"("b")");
  ASSERT_TRUE(both_printed(2));
  ASSERT_TRUE(fake_.Leave("room", "bob", "kb"));
  ASSERT_TRUE(both_printed(3));
  ASSERT_TRUE(history.WaitCycles(3));
  const auto a = PrintedOf(snapshots.process());
  const auto b = PrintedOf(history.process());
  ASSERT_EQ(Actions(a), (std::vector<std::string>{"enter", "update", "leave"}));
  ASSERT_EQ(Actions(b), Actions(a));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << a[i].action;
    EXPECT_EQ(a[i].member_id, b[i].member_id) << a[i].action;
  }
}

}  // namespace
}  // namespace presenced::testing
