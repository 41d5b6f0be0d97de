#include "presence/history_apply.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "presence/diff.h"

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr std::string_view kChannel = "room:1";

PresenceMessage Msg(MessageAction action, std::string client, std::string id, std::string data = "",
                    int64_t timestamp = 1000, std::string encoding = "") {
  std::string connection = id.substr(0, id.find(':'));
  return {action, Member{std::move(client), std::move(connection), std::move(id), std::move(data),
                         std::move(encoding), timestamp}};
}

ChannelState StateOf(std::vector<Member> members) {
  return Diff(kChannel, nullptr, members, DiffOptions{}, kNow).next;
}

// "action client memberId timestamp" per event.
std::vector<std::string> Summary(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(std::string(ActionName(e.action)) + " " + e.client_id + " " + e.member_id + " " +
                  std::to_string(e.timestamp));
  }
  return out;
}

TEST(HistoryApplyTest, EnterOfAnAbsentMemberIsAnEnterWithTheMessageIdAndTimestamp) {
  const auto result = ApplyHistory(kChannel, ChannelState{},
                                   {Msg(MessageAction::kEnter, "bob", "k1:0:0", R"("a")", 1500),
                                    Msg(MessageAction::kPresent, "ann", "k2:4:1", "", 1600)},
                                   UpdateOn::kData, kNow);
  EXPECT_EQ(Summary(result.events),
            (std::vector<std::string>{"enter bob k1:0:0 1500", "enter ann k2:4:1 1600"}));
  EXPECT_EQ(result.events[0].data, R"("a")");
  EXPECT_EQ(result.events[0].observed_at, kNow);
  const ChannelState after = Apply(ChannelState{}, result.delta);
  ASSERT_EQ(after.member_count(), 2u);
  EXPECT_EQ(after.member(1).id, "k1:0:0");
  EXPECT_EQ(after.member(1).timestamp, 1500);
}

TEST(HistoryApplyTest, UpdateOfAPresentMemberIsAnUpdateOnlyWhenItsDataChanged) {
  const ChannelState before = StateOf({{"bob", "k1", "k1:0:0", R"("a")", "", 1000}});
  auto result = ApplyHistory(kChannel, before,
                             {Msg(MessageAction::kUpdate, "bob", "k1:1:0", R"("a")", 1100),
                              Msg(MessageAction::kUpdate, "bob", "k1:2:0", R"("b")", 1200),
                              Msg(MessageAction::kUpdate, "bob", "k1:3:0", R"("b")", 1300, "json")},
                             UpdateOn::kData, kNow);
  EXPECT_EQ(Summary(result.events),
            (std::vector<std::string>{"update bob k1:2:0 1200", "update bob k1:3:0 1300"}));
  // The unchanged update still moves the stored id on.
  const ChannelState after = Apply(before, result.delta);
  EXPECT_EQ(after.member(0).id, "k1:3:0");
  EXPECT_EQ(after.member(0).encoding, "json");

  // With update_on: any, a new id alone is an update.
  result = ApplyHistory(kChannel, before, {Msg(MessageAction::kUpdate, "bob", "k1:1:0", R"("a")")},
                        UpdateOn::kAny, kNow);
  EXPECT_EQ(Summary(result.events), (std::vector<std::string>{"update bob k1:1:0 1000"}));
}

TEST(HistoryApplyTest, LeaveCarriesTheLastKnownIdAndAblysTimestampLikeTheSnapshotPath) {
  const ChannelState before = StateOf({{"bob", "k1", "k1:3:0", R"("x")", "json", 1000}});
  const auto result = ApplyHistory(
      kChannel, before, {Msg(MessageAction::kLeave, "bob", "k1:4:0", R"("x")", 2500, "json")},
      UpdateOn::kData, kNow);
  ASSERT_EQ(result.events.size(), 1u);
  const Event& leave = result.events[0];
  EXPECT_EQ(leave.action, Action::kLeave);
  EXPECT_EQ(leave.member_id, "k1:3:0");  // not the leave message's own id
  EXPECT_EQ(leave.timestamp, 2500);
  EXPECT_EQ(leave.data, R"("x")");
  EXPECT_EQ(leave.encoding, "json");
  // The snapshot path gives the same event id for the same change.
  const DiffResult diff = Diff(kChannel, &before, {}, DiffOptions{}, kNow);
  ASSERT_EQ(diff.events.size(), 1u);
  EXPECT_EQ(leave.id, diff.events[0].id);
  EXPECT_TRUE(Apply(before, result.delta).empty());
}

TEST(HistoryApplyTest, EnterAndUpdateIdsEqualTheSnapshotPaths) {
  const ChannelState before = StateOf({{"bob", "k1", "k1:0:0", R"("a")", "", 1000}});
  const Member ann{"ann", "k2", "k2:0:0", R"("n")", "", 1100};
  const Member bob{"bob", "k1", "k1:1:0", R"("b")", "", 1200};
  const auto history =
      ApplyHistory(kChannel, before, {{MessageAction::kEnter, ann}, {MessageAction::kUpdate, bob}},
                   UpdateOn::kData, kNow);
  const DiffResult diff = Diff(kChannel, &before, {ann, bob}, DiffOptions{}, kNow);
  ASSERT_EQ(history.events.size(), 2u);
  ASSERT_EQ(diff.events.size(), 2u);
  EXPECT_EQ(history.events[0].id, diff.events[0].id);  // enter ann
  EXPECT_EQ(history.events[1].id, diff.events[1].id);  // update bob
  EXPECT_EQ(Apply(before, history.delta), Apply(before, diff.delta));
}

TEST(HistoryApplyTest, LeaveOfAnAbsentMemberIsNothing) {
  const auto result =
      ApplyHistory(kChannel, ChannelState{}, {Msg(MessageAction::kLeave, "bob", "k1:4:0")},
                   UpdateOn::kData, kNow);
  EXPECT_TRUE(result.events.empty());
  EXPECT_TRUE(result.delta.empty());
}

TEST(HistoryApplyTest, AShortVisitIsAnEnterThenALeaveAndLeavesNoTrace) {
  const auto result = ApplyHistory(kChannel, ChannelState{},
                                   {Msg(MessageAction::kEnter, "bob", "k1:0:0", R"("a")", 1000),
                                    Msg(MessageAction::kEnter, "ann", "k2:0:0", "", 1001),
                                    Msg(MessageAction::kLeave, "bob", "k1:1:0", R"("a")", 1002)},
                                   UpdateOn::kData, kNow);
  EXPECT_EQ(Summary(result.events),
            (std::vector<std::string>{"enter bob k1:0:0 1000", "enter ann k2:0:0 1001",
                                      "leave bob k1:0:0 1002"}));
  const ChannelState after = Apply(ChannelState{}, result.delta);
  ASSERT_EQ(after.member_count(), 1u);
  EXPECT_EQ(after.member(0).client_id, "ann");
  EXPECT_TRUE(result.delta.removals.empty());
}

TEST(HistoryApplyTest, ReReadingHistoryTheStateReflectsEmitsNothing) {
  const std::vector<PresenceMessage> messages = {
      Msg(MessageAction::kEnter, "bob", "k1:0:0", R"("a")"),
      Msg(MessageAction::kUpdate, "bob", "k1:1:0", R"("b")"),
      Msg(MessageAction::kEnter, "ann", "k2:0:0"), Msg(MessageAction::kLeave, "ann", "k2:1:0")};
  const auto first = ApplyHistory(kChannel, ChannelState{}, messages, UpdateOn::kData, kNow);
  ASSERT_EQ(first.events.size(), 4u);
  const ChannelState state = Apply(ChannelState{}, first.delta);
  // bob's enter is older than his update: stale, not an update back to "a".
  const std::vector<PresenceMessage> overlap(messages.begin(), messages.begin() + 2);
  const auto again = ApplyHistory(kChannel, state, overlap, UpdateOn::kAny, kNow);
  EXPECT_TRUE(again.events.empty()) << Summary(again.events)[0];
  EXPECT_TRUE(again.delta.empty());
}

TEST(HistoryApplyTest, AMessageOlderThanTheMembersIdIsIgnored) {
  // The state came from a snapshot taken after the update; a late read of the enter is stale.
  const ChannelState before = StateOf({{"bob", "k1", "k1:5:0", R"("new")", "", 1000}});
  const auto result = ApplyHistory(kChannel, before,
                                   {Msg(MessageAction::kEnter, "bob", "k1:3:0", R"("old")"),
                                    Msg(MessageAction::kLeave, "bob", "k1:4:0")},
                                   UpdateOn::kData, kNow);
  EXPECT_TRUE(result.events.empty());
  EXPECT_TRUE(result.delta.empty());
}

TEST(HistoryApplyTest, ATombstoneKeepsOlderMessagesFromBringingAMemberBack) {
  // A reconcile at 2000 removed bob (last seen with id k1:5:0); re-read history still holds his
  // update and leave. Without the tombstone, the update would be an enter of an absent member.
  const ChannelState tombstones = StateOf({{"bob", "k1", "k1:5:0", "", "", 2000}});
  const std::vector<PresenceMessage> reread = {
      Msg(MessageAction::kUpdate, "bob", "k1:5:0", R"("u")"),
      Msg(MessageAction::kLeave, "bob", "k1:6:0")};
  auto result = ApplyHistory(kChannel, ChannelState{}, reread, UpdateOn::kData, kNow, tombstones);
  EXPECT_TRUE(result.events.empty());
  EXPECT_TRUE(result.delta.empty());
  result = ApplyHistory(kChannel, ChannelState{}, reread, UpdateOn::kData, kNow);
  EXPECT_EQ(result.events.size(), 2u) << "the failure the tombstone prevents";
  // Nor do messages the reconcile had already seen the end of, whatever their id.
  result = ApplyHistory(kChannel, ChannelState{},
                        {Msg(MessageAction::kUpdate, "bob", "k1:6:0", R"("v")", 1500),
                         Msg(MessageAction::kLeave, "bob", "k1:7:0", "", 1600)},
                        UpdateOn::kData, kNow, tombstones);
  EXPECT_TRUE(result.events.empty());
  // A later message of the same connection is a real change.
  result = ApplyHistory(kChannel, ChannelState{},
                        {Msg(MessageAction::kEnter, "bob", "k1:8:0", "", 2500)}, UpdateOn::kData,
                        kNow, tombstones);
  EXPECT_EQ(Summary(result.events), (std::vector<std::string>{"enter bob k1:8:0 2500"}));
}

TEST(HistoryApplyTest, AMemberMissingFromASnapshotIsPresentAgainOnAnUpdate) {
  DiffOptions debounce;
  debounce.leave_after_misses = 3;
  const ChannelState seen = StateOf({{"bob", "k1", "k1:0:0", R"("a")", "", 1000}});
  const ChannelState missed = Diff(kChannel, &seen, {}, debounce, kNow).next;
  ASSERT_EQ(missed.member(0).misses, 1u);
  const auto result =
      ApplyHistory(kChannel, missed, {Msg(MessageAction::kUpdate, "bob", "k1:1:0", R"("a")")},
                   UpdateOn::kData, kNow);
  EXPECT_TRUE(result.events.empty());
  EXPECT_EQ(Apply(missed, result.delta).member(0).misses, 0u);
}

TEST(HistoryApplyTest, MessageIdsOrderBySerialThenIndexWithinAConnection) {
  EXPECT_TRUE(IsNewerMessageId("k:2:0", "k:1:9"));
  EXPECT_TRUE(IsNewerMessageId("k:1:1", "k:1:0"));
  EXPECT_FALSE(IsNewerMessageId("k:1:0", "k:1:0"));
  EXPECT_FALSE(IsNewerMessageId("k:1:0", "k:10:0"));
  EXPECT_TRUE(IsNewerMessageId("a:b:1:0", "a:b:0:5"));  // a connection id with a colon
  EXPECT_TRUE(IsNewerMessageId("other:0:0", "k:9:0"));  // cannot be ordered
  EXPECT_TRUE(IsNewerMessageId("opaque", "k:9:0"));
}

}  // namespace
}  // namespace presenced
