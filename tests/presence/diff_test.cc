#include "presence/diff.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/presence_options.h"

namespace presenced {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr std::string_view kChannel = "chat:lobby";

Member M(std::string client, std::string connection, std::string id, std::string data = "",
         std::string encoding = "", int64_t timestamp = 1000) {
  return Member{std::move(client), std::move(connection), std::move(id),
                std::move(data),   std::move(encoding),   timestamp};
}

// An expected event, compact: action, clientId, connectionId, memberId, data, encoding, timestamp.
struct Want {
  Action action;
  std::string client_id;
  std::string connection_id;
  std::string member_id;
  std::string data = "";
  std::string encoding = "";
  int64_t timestamp = 1000;
};

struct DiffCase {
  std::string name;
  // Snapshots fed in order; the last one is diffed against the state the earlier ones left.
  // An empty `history` means the last snapshot is the channel's first.
  std::vector<std::vector<Member>> history;
  std::vector<Member> after;
  DiffOptions options;
  std::vector<Want> want;
  bool want_changed;
  size_t want_members;  // tracked members in `next`, incl. missing-but-not-left
};

void PrintTo(const DiffCase& c, std::ostream* os) { *os << c.name; }

DiffOptions Opts(UpdateOn update_on = UpdateOn::kData, int leave_after = 1, bool present = false) {
  return DiffOptions{update_on, leave_after, present};
}
const auto kAny = UpdateOn::kAny;
const auto kData = UpdateOn::kData;

std::vector<DiffCase> Cases() {
  const Member bob = M("bob", "c1", "c1:0:0", "\"hi\"");
  const Member bob2 = M("bob", "c1", "c1:1:0", "\"hi\"", "", 2000);  // same data, new id
  const Member ann = M("ann", "c2", "c2:0:0");
  return {
      {"empty_to_empty", {{}}, {}, Opts(), {}, false, 0},
      {"first_snapshot_baseline", {}, {bob, ann}, Opts(), {}, true, 2},
      {"first_snapshot_empty_is_still_persisted", {}, {}, Opts(), {}, true, 0},
      {"first_snapshot_present",
       {},
       {bob, ann},
       Opts(kData, 1, true),
       {{Action::kPresent, "ann", "c2", "c2:0:0"},
        {Action::kPresent, "bob", "c1", "c1:0:0", "\"hi\""}},
       true,
       2},
      {"enter",
       {{ann}},
       {ann, bob},
       Opts(),
       {{Action::kEnter, "bob", "c1", "c1:0:0", "\"hi\""}},
       true,
       2},
      {"leave",
       {{ann, bob}},
       {ann},
       Opts(),
       {{Action::kLeave, "bob", "c1", "c1:0:0", "\"hi\"", "", kNow}},
       true,
       1},
      {"unchanged", {{ann, bob}}, {bob, ann}, Opts(), {}, false, 2},
      {"update_on_data",
       {{bob}},
       {M("bob", "c1", "c1:1:0", "{\"a\":1}", "", 2000)},
       Opts(),
       {{Action::kUpdate, "bob", "c1", "c1:1:0", "{\"a\":1}", "", 2000}},
       true,
       1},
      {"update_on_encoding",
       {{bob}},
       {M("bob", "c1", "c1:1:0", "\"hi\"", "base64", 2000)},
       Opts(),
       {{Action::kUpdate, "bob", "c1", "c1:1:0", "\"hi\"", "base64", 2000}},
       true,
       1},
      {"id_only_change_no_update_with_data", {{bob}}, {bob2}, Opts(kData), {}, true, 1},
      {"id_only_change_updates_with_any",
       {{bob}},
       {bob2},
       Opts(kAny),
       {{Action::kUpdate, "bob", "c1", "c1:1:0", "\"hi\"", "", 2000}},
       true,
       1},
      {"same_client_two_connections_are_two_members",
       {{bob}},
       {bob, M("bob", "c9", "c9:0:0")},
       Opts(),
       {{Action::kEnter, "bob", "c9", "c9:0:0"}},
       true,
       2},
      {"reconnect_is_leave_then_enter",
       {{bob}},
       {M("bob", "c9", "c9:0:0")},
       Opts(),
       {{Action::kLeave, "bob", "c1", "c1:0:0", "\"hi\"", "", kNow},
        {Action::kEnter, "bob", "c9", "c9:0:0"}},
       true,
       1},
      {"debounce2_first_miss_keeps_member", {{bob}}, {}, Opts(kData, 2), {}, true, 1},
      {"debounce2_second_miss_leaves",
       {{bob}, {}},
       {},
       Opts(kData, 2),
       {{Action::kLeave, "bob", "c1", "c1:0:0", "\"hi\"", "", kNow}},
       true,
       0},
      {"debounce3_two_misses_keep_member", {{bob}, {}}, {}, Opts(kData, 3), {}, true, 1},
      {"debounce3_third_miss_leaves",
       {{bob}, {}, {}},
       {},
       Opts(kData, 3),
       {{Action::kLeave, "bob", "c1", "c1:0:0", "\"hi\"", "", kNow}},
       true,
       0},
      {"debounce_reappearing_is_silent_but_changed",
       {{bob}, {}},
       {bob},
       Opts(kData, 3),
       {},
       true,
       1},
      {"debounce_reappearing_with_new_data_updates",
       {{bob}, {}},
       {M("bob", "c1", "c1:5:0", "\"bye\"", "", 3000)},
       Opts(kData, 2),
       {{Action::kUpdate, "bob", "c1", "c1:5:0", "\"bye\"", "", 3000}},
       true,
       1},
      {"debounce_count_resets_after_reappearing",
       {{bob}, {}, {bob}},
       {},
       Opts(kData, 2),
       {},
       true,
       1},
      {"duplicate_keys_latest_timestamp_wins",
       {{bob}},
       {M("bob", "c1", "c1:3:0", "\"new\"", "", 3000),
        M("bob", "c1", "c1:2:0", "\"old\"", "", 2500)},
       Opts(),
       {{Action::kUpdate, "bob", "c1", "c1:3:0", "\"new\"", "", 3000}},
       true,
       1},
      {"duplicate_keys_same_timestamp_larger_id_wins",
       {},
       {M("bob", "c1", "c1:2:0", "1", "", 3000), M("bob", "c1", "c1:3:0", "2", "", 3000)},
       Opts(kData, 1, true),
       {{Action::kPresent, "bob", "c1", "c1:3:0", "2", "", 3000}},
       true,
       1},
      {"groups_leaves_enters_updates_each_in_key_order",
       {{M("b", "x", "x:0:0", "1"), M("d", "x", "x:0:1"), M("a", "x", "x:0:2")}},
       {M("e", "y", "y:0:0"), M("b", "x", "x:1:0", "2", "", 2000), M("c", "y", "y:0:1")},
       Opts(),
       {{Action::kLeave, "a", "x", "x:0:2", "", "", kNow},
        {Action::kLeave, "d", "x", "x:0:1", "", "", kNow},
        {Action::kEnter, "c", "y", "y:0:1"},
        {Action::kEnter, "e", "y", "y:0:0"},
        {Action::kUpdate, "b", "x", "x:1:0", "2", "", 2000}},
       true,
       3},
      {"leave_after_zero_acts_as_one",
       {{bob}},
       {},
       Opts(kData, 0),
       {{Action::kLeave, "bob", "c1", "c1:0:0", "\"hi\"", "", kNow}},
       true,
       0},
  };
}

class DiffTest : public ::testing::TestWithParam<DiffCase> {};

TEST_P(DiffTest, EmitsExpectedEvents) {
  const DiffCase& tc = GetParam();
  std::optional<ChannelState> state;
  for (const auto& snapshot : tc.history) {
    DiffResult r = Diff(kChannel, state ? &*state : nullptr, snapshot, tc.options, kNow - 1);
    state = std::move(r.next);
  }
  const DiffResult r = Diff(kChannel, state ? &*state : nullptr, tc.after, tc.options, kNow);

  ASSERT_EQ(r.events.size(), tc.want.size());
  for (size_t i = 0; i < tc.want.size(); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    const Event& got = r.events[i];
    const Want& want = tc.want[i];
    EXPECT_EQ(got.action, want.action);
    EXPECT_EQ(got.channel, kChannel);
    EXPECT_EQ(got.client_id, want.client_id);
    EXPECT_EQ(got.connection_id, want.connection_id);
    EXPECT_EQ(got.member_id, want.member_id);
    EXPECT_EQ(got.data, want.data);
    EXPECT_EQ(got.encoding, want.encoding);
    EXPECT_EQ(got.timestamp, want.timestamp);
    EXPECT_EQ(got.observed_at, kNow);
    EXPECT_EQ(got.id,
              EventId(kChannel, want.client_id, want.connection_id, want.action, want.member_id));
  }
  EXPECT_EQ(r.changed, tc.want_changed);
  EXPECT_EQ(r.next.member_count(), tc.want_members);
}

// Views of `members` whose text lives only in `scratch` (as a response body would).
std::vector<MemberView> ScratchViews(const std::vector<Member>& members, std::string& scratch) {
  scratch.clear();
  for (const Member& m : members) {
    scratch += m.client_id + m.connection_id + m.id + m.data + m.encoding;
  }
  std::vector<MemberView> views;
  size_t at = 0;
  auto take = [&](const std::string& field) {
    const std::string_view view(scratch.data() + at, field.size());
    at += field.size();
    return view;
  };
  for (const Member& m : members) {
    MemberView v;
    v.client_id = take(m.client_id);
    v.connection_id = take(m.connection_id);
    v.id = take(m.id);
    v.data = take(m.data);
    v.encoding = take(m.encoding);
    v.timestamp = m.timestamp;
    v.misses = 7;  // ignored: a snapshot's members have no miss count
    views.push_back(v);
  }
  return views;
}

// DiffView gives what Diff gives, and copies what it keeps: the result does not change when the
// text the views pointed at is overwritten after the call.
TEST_P(DiffTest, ViewsGiveTheSameResultAndNeedNotOutliveTheCall) {
  const DiffCase& tc = GetParam();
  std::optional<ChannelState> state;
  for (const auto& snapshot : tc.history) {
    state = Diff(kChannel, state ? &*state : nullptr, snapshot, tc.options, kNow - 1).next;
  }
  const ChannelState* before = state ? &*state : nullptr;
  const DiffResult owned = Diff(kChannel, before, tc.after, tc.options, kNow);
  std::string scratch;
  const std::vector<MemberView> views = ScratchViews(tc.after, scratch);
  const DiffResult viewed = DiffView(kChannel, before, views, tc.options, kNow);
  scratch.assign(scratch.size(), 'X');
  EXPECT_EQ(viewed.next, owned.next);
  EXPECT_EQ(viewed.changed, owned.changed);
  EXPECT_EQ(viewed.delta.Encode(), owned.delta.Encode());
  ASSERT_EQ(viewed.events.size(), owned.events.size());
  for (size_t i = 0; i < owned.events.size(); ++i) {
    EXPECT_EQ(viewed.events[i].id, owned.events[i].id);
    EXPECT_EQ(viewed.events[i].client_id, owned.events[i].client_id);
    EXPECT_EQ(viewed.events[i].connection_id, owned.events[i].connection_id);
    EXPECT_EQ(viewed.events[i].member_id, owned.events[i].member_id);
    EXPECT_EQ(viewed.events[i].data, owned.events[i].data);
    EXPECT_EQ(viewed.events[i].encoding, owned.events[i].encoding);
    EXPECT_EQ(viewed.events[i].timestamp, owned.events[i].timestamp);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, DiffTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DiffStateTest, NextKeepsLatestMemberAndMissCounts) {
  const DiffOptions options = Opts(kData, 3);
  DiffResult r1 = Diff(kChannel, nullptr, {M("bob", "c1", "c1:0:0", "1"), M("ann", "c2", "c2:0:0")},
                       options, kNow);
  DiffResult r2 =
      Diff(kChannel, &r1.next, {M("bob", "c1", "c1:4:0", "2", "json", 4000)}, options, kNow + 1);
  ASSERT_EQ(r2.next.member_count(), 2u);
  const MemberView ann = r2.next.member(0);
  EXPECT_EQ(ann.client_id, "ann");
  EXPECT_EQ(ann.misses, 1u);
  const MemberView bob = r2.next.member(1);
  EXPECT_EQ(bob.client_id, "bob");
  EXPECT_EQ(bob.id, "c1:4:0");
  EXPECT_EQ(bob.data, "2");
  EXPECT_EQ(bob.encoding, "json");
  EXPECT_EQ(bob.timestamp, 4000);
  EXPECT_EQ(bob.misses, 0u);
}

TEST(DiffStateTest, TimestampOnlyChangeIsChangedWithoutEvents) {
  DiffResult r1 = Diff(kChannel, nullptr, {M("bob", "c1", "c1:0:0", "", "", 1)}, Opts(), kNow);
  DiffResult r2 = Diff(kChannel, &r1.next, {M("bob", "c1", "c1:0:0", "", "", 2)}, Opts(), kNow);
  EXPECT_TRUE(r2.events.empty());
  EXPECT_TRUE(r2.changed);
}

TEST(DiffStateTest, CountsDistinctClients) {
  DiffResult r = Diff(kChannel, nullptr,
                      {M("bob", "c1", "1"), M("bob", "c2", "2"), M("ann", "c3", "3"),
                       M("cid", "c4", "4"), M("bob", "c0", "0")},
                      Opts(), kNow);
  EXPECT_EQ(r.next.member_count(), 5u);
  EXPECT_EQ(r.next.client_count(), 3u);
}

TEST(DiffOptionsTest, FromConfig) {
  PresenceConfig config;
  config.update_on = kAny;
  config.leave_after_misses = 4;
  config.initial_snapshot = PresenceConfig::InitialSnapshot::kPresent;
  const DiffOptions options = DiffOptionsFrom(config);
  EXPECT_EQ(options.update_on, kAny);
  EXPECT_EQ(options.leave_after_misses, 4);
  EXPECT_TRUE(options.first_snapshot_present);
  EXPECT_FALSE(DiffOptionsFrom(PresenceConfig{}).first_snapshot_present);
}

}  // namespace
}  // namespace presenced

namespace presenced {
namespace {

// The sort behind Diff uses 8-byte prefixes after the common prefix with a radix sort (an
// insertion sort below 32 members); this checks its order against a plain comparison sort on keys
// built to collide in those prefixes, for sizes on both sides of that threshold.
void ExpectReferenceOrder(int count) {
  SCOPED_TRACE("members: " + std::to_string(count));
  std::vector<Member> members;
  uint64_t x = 12345;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  const std::vector<std::string> stems = {"user-", "user-0000000", "user-00000000", "u", ""};
  for (int i = 0; i < count; ++i) {
    std::string client = stems[next() % stems.size()];
    const int tail = static_cast<int>(next() % 4);
    for (int t = 0; t < tail; ++t) client.push_back("ab\0\xff"[next() % 4]);
    members.push_back(
        M(client, "c" + std::to_string(next() % 3), std::to_string(i), "", "", next() % 5));
  }
  std::vector<Member> reference = members;
  std::stable_sort(reference.begin(), reference.end(), [](const Member& a, const Member& b) {
    if (a.client_id != b.client_id) return a.client_id < b.client_id;
    if (a.connection_id != b.connection_id) return a.connection_id < b.connection_id;
    if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
    return a.id > b.id;
  });
  std::vector<const Member*> unique;
  for (const Member& m : reference) {
    if (!unique.empty() && unique.back()->client_id == m.client_id &&
        unique.back()->connection_id == m.connection_id) {
      continue;
    }
    unique.push_back(&m);
  }
  const DiffResult r = Diff(kChannel, nullptr, members, Opts(kData, 1, true), kNow);
  ASSERT_EQ(r.next.member_count(), unique.size());
  ASSERT_EQ(r.events.size(), unique.size());
  for (size_t i = 0; i < unique.size(); ++i) {
    const MemberView v = r.next.member(i);
    ASSERT_EQ(v.client_id, unique[i]->client_id) << i;
    ASSERT_EQ(v.connection_id, unique[i]->connection_id) << i;
    ASSERT_EQ(v.id, unique[i]->id) << i;
    ASSERT_EQ(r.events[i].member_id, unique[i]->id) << i;
  }
}

TEST(DiffOrderTest, MatchesReferenceOrderOnCollidingPrefixes) {
  for (int count : {2, 3, 5, 17, 31, 32, 33, 100, 3000}) ExpectReferenceOrder(count);
}

}  // namespace
}  // namespace presenced
