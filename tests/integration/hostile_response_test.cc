// The real presenced against an Ably stand-in that answers well-formed JSON with hostile content:
// a channel listed twice, members with an impossible action or timestamp. Each such answer fails
// its channel (no events, counted stale, CONTRACT §1) and never turns into false leaves or
// enters, while the other channel of the same answer keeps working.

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "net/local_server.h"

namespace presenced::testing {
namespace {

std::string Member(const std::string& client, const std::string& fields = "") {
  return R"({"id":"k-)" + client + R"(:1:0","clientId":")" + client + R"(","connectionId":"k-)" +
         client + R"(","data":"x",)" +
         (fields.empty() ? R"("action":1,"timestamp":1700000000000)" : fields) + "}";
}

std::string Channel(const std::string& name, const std::vector<std::string>& members) {
  std::string presence;
  for (const auto& m : members) presence += (presence.empty() ? "" : ",") + m;
  return R"({"channel":")" + name + R"(","presence":[)" + presence + "]}";
}

std::string Results(const std::vector<std::string>& channels) {
  std::string results;
  for (const auto& c : channels) results += (results.empty() ? "" : ",") + c;
  return R"({"successCount":2,"failureCount":0,"results":[)" + results + "]}";
}

const std::string kB = Channel("b", {Member("carol")});
const std::string kGood = Results({Channel("a", {Member("alice"), Member("bob")}), kB});

struct Hostile {
  std::string name;
  std::string body;
};

std::vector<Hostile> HostileBodies() {
  const std::string alice = Member("alice"), bob = Member("bob");
  return {
      {"channel listed twice", Results({Channel("a", {alice}), Channel("a", {alice, bob}), kB})},
      {"action as a word",
       Results({Channel("a", {alice, bob, Member("dave", R"("action":"x")")}), kB})},
      {"negative action",
       Results({Channel("a", {alice, bob, Member("dave", R"("action":-1)")}), kB})},
      {"fractional action",
       Results({Channel("a", {alice, bob, Member("dave", R"("action":1.5)")}), kB})},
      {"unknown action",
       Results({Channel("a", {alice, bob, Member("dave", R"("action":7)")}), kB})},
      {"huge timestamp",
       Results({Channel("a", {alice, Member("bob", R"("action":1,"timestamp":1e300)")}), kB})},
      {"string timestamp",
       Results({Channel("a", {alice, Member("bob", R"("action":1,"timestamp":"1700000000000")")}),
                kB})},
  };
}

TEST(HostileResponseTest, MalformedMembersAndRepeatedChannelsNeverEmitEvents) {
  std::mutex mu;  // guards body
  std::string body = kGood;
  LocalServer ably([&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) {
    std::string answer;
    {
      std::lock_guard lock(mu);
      answer = body;
    }
    response.setContentType("application/json");
    response.sendBuffer(answer.data(), answer.size());
  });
  auto serve = [&](const std::string& next) {
    std::lock_guard lock(mu);
    body = next;
  };

  TempDir dir;
  DaemonHarness daemon(dir, "ably:\n  endpoint: " + ably.Url("") +
                                "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
                                "channels: [a, b]\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  for (const Hostile& hostile : HostileBodies()) {
    SCOPED_TRACE(hostile.name);
    serve(hostile.body);
    EXPECT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels_stale") == 1; }));
    ASSERT_TRUE(daemon.WaitCycles(2));
    EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 1);  // b still succeeds
    serve(kGood);
    EXPECT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels_stale") == 0; }));
    ASSERT_TRUE(daemon.WaitCycles(1));
    EXPECT_TRUE(daemon.process().StdoutLines().empty()) << daemon.process().Stdout();
  }
  // The same daemon still sees real changes.
  serve(Results({Channel("a", {Member("alice")}), kB}));
  EXPECT_TRUE(
      WaitFor([&] { return daemon.process().Stdout().find("leave") != std::string::npos; }));
  EXPECT_EQ(daemon.process().StdoutLines().size(), 1u) << daemon.process().Stdout();
  EXPECT_NE(daemon.process().Stdout().find(R"("clientId":"bob")"), std::string::npos);
}

}  // namespace
}  // namespace presenced::testing
