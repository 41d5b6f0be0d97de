// Items 2 and 3 of "right on day one against the real Ably": rooms discovery finds later announce
// their members, and enumeration survives 42912 (one enumeration per app at a time) and 40011
// (pagination became invalid).

#include <gtest/gtest.h>

#include "ably_test_support.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class AblyDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  std::string Config() {
    return AblyTestConfig(fake_, "", "discovery:\n  prefixes: ['room:']\n  interval: 300ms\n");
  }
  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
};

TEST_F(AblyDiscoveryTest, ARoomFoundLaterAnnouncesItsFirstMembers) {
  fake_.Enter("room:a", "bob", "conn-bob", R"("x")");
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 1; }));
  ASSERT_TRUE(daemon.WaitReady());
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_TRUE(PrintedEvents(daemon.process()).empty()) << "the first enumeration is a baseline";

  // room:b was inactive (enumeration lists only active channels): its members just entered.
  fake_.Enter("room:b", "carol", "conn-carol", R"("y")");
  fake_.Enter("room:b", "dave", "conn-dave", R"("z")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room:b dave"); }));
  EXPECT_TRUE(Printed(daemon.process(), "enter room:b carol"));
  fake_.Leave("room:b", "carol", "conn-carol");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "leave room:b carol"); }));
  EXPECT_EQ(
      PrintedEvents(daemon.process()),
      (std::vector<std::string>{"enter room:b carol", "enter room:b dave", "leave room:b carol"}));
}

TEST_F(AblyDiscoveryTest, ConcurrentEnumerationIsRetriedAndInvalidPaginationRestarts) {
  fake_.Enter("room:a", "bob", "conn-bob", R"("x")");
  // Another client of the app is enumerating: the first attempts get 42912. The lease outlasts
  // even a slow start (a sanitizer build under load took over 1.2 s to its first enumeration).
  fake_.rules().SetEnumerationLease(milliseconds(6000));
  fake_.rules().StartForeignEnumeration();
  DaemonHarness daemon(dir_, Config());
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 1; }, seconds(40)));
  EXPECT_GE(daemon.Metric(R"(presenced_api_requests_total{status="429"})"), 1);

  // Pagination becomes invalid mid-way (an empty page with `next`, then 40011): start again.
  fake_.InsertEmptyPages(1);
  fake_.rules().InvalidateNextPagination();
  fake_.Enter("room:b", "carol", "conn-carol", R"("y")");
  ASSERT_TRUE(WaitFor([&] { return Printed(daemon.process(), "enter room:b carol"); }));
  EXPECT_GE(daemon.Metric(R"(presenced_api_requests_total{status="400"})"), 1);

  // While enumeration fails, the channels found before stay polled.
  fake_.FailNextRequests(5, InjectedFailure{429, 42910, false, "Rate limit", "", ""});
  ASSERT_TRUE(daemon.WaitCycles(6));
  EXPECT_EQ(daemon.Metric("presenced_channels"), 2);
  EXPECT_EQ(PrintedLeaves(daemon.process()), 0u);
}

}  // namespace
}  // namespace presenced::testing
