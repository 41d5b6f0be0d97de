// Members Ably sends with text that is not valid Unicode: invalid UTF-8 bytes in a clientId or in
// data, a lone surrogate escape (\ud800) in a clientId. The real presenced against an Ably
// stand-in that answers one batch of ten channels: such a member is kept, each invalid byte or
// lone surrogate replaced by U+FFFD, and no channel of the batch fails because of it.

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "ably_test_support.h"
#include "daemon_harness.h"
#include "net/local_server.h"

namespace presenced::testing {
namespace {

std::string Member(const std::string& client, const std::string& data = R"("x")") {
  return R"({"id":"k-)" + std::to_string(client.size()) + R"(:1:0","clientId":")" + client +
         R"(","connectionId":"k-)" + std::to_string(client.size()) + R"(","data":)" + data +
         R"(,"action":1,"timestamp":1700000000000})";
}

// A v3 batch answer of channels c0..c9, each with alice, plus `extra` members in some.
std::string Batch(const std::vector<std::pair<int, std::string>>& extra) {
  std::string results;
  for (int c = 0; c < 10; ++c) {
    std::string presence = Member("alice");
    for (const auto& [channel, member] : extra) {
      if (channel == c) presence += "," + member;
    }
    results += (c ? "," : "") + std::string(R"({"channel":"c)") + std::to_string(c) +
               R"(","presence":[)" + presence + "]}";
  }
  return R"({"successCount":10,"failureCount":0,"results":[)" + results + "]}";
}

TEST(UnicodeMembersTest, AMemberThatIsNotValidUnicodeIsKeptAndFailsNoChannel) {
  std::mutex mu;  // guards body
  std::string body = Batch({});
  LocalServer ably([&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& response) {
    std::string answer;
    {
      std::lock_guard lock(mu);
      answer = body;
    }
    response.setContentType("application/json");
    response.sendBuffer(answer.data(), answer.size());
  });
  TempDir dir;
  DaemonHarness daemon(dir, "ably:\n  endpoint: " + ably.Url("") +
                                "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\n"
                                "channels: [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9]\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(1));
  {
    std::lock_guard lock(mu);
    body = Batch({{3, Member("bad\xff")},                  // an invalid UTF-8 byte
                  {5, Member("lone\\ud800x")},             // a lone surrogate escape
                  {7, Member("dora", "\"caf\xc3\x28\"")},  // invalid UTF-8 in data
                  {8, Member("erin")}});                   // a plain new member
  }
  ASSERT_TRUE(WaitFor([&] { return PrintedEvents(daemon.process()).size() >= 4; }))
      << daemon.process().Stdout() << daemon.process().Stderr();
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_EQ(daemon.Metric("presenced_channels_stale"), 0) << daemon.process().Stderr();
  const std::string out = daemon.process().Stdout();
  EXPECT_EQ(PrintedEvents(daemon.process()).size(), 4u) << out;
  EXPECT_NE(out.find(R"("channel":"c3","action":"enter","clientId":"bad)"
                     "\xEF\xBF\xBD\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("channel":"c5","action":"enter","clientId":"lone)"
                     "\xEF\xBF\xBD"
                     R"(x")"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("data":"caf)"
                     "\xEF\xBF\xBD"
                     "(\""),
            std::string::npos)
      << out;
  EXPECT_TRUE(Printed(daemon.process(), "enter c8 erin")) << out;
}

}  // namespace
}  // namespace presenced::testing
