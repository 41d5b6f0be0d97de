#include "presence/channel_delta.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "presence/diff.h"
#include "test_seed.h"

namespace presenced {
namespace {

// A random member set drawn from a small key space, so successive sets overlap.
std::vector<Member> RandomMembers(std::mt19937& rng) {
  std::vector<Member> members;
  const int count = std::uniform_int_distribution<int>(0, 30)(rng);
  for (int i = 0; i < count; ++i) {
    const int key = std::uniform_int_distribution<int>(0, 40)(rng);
    const std::string client = "u" + std::to_string(key % 20);
    const std::string conn = "c" + std::to_string(key);
    members.push_back({client, conn, conn + ":" + std::to_string(rng() % 3) + ":0",
                       "\"" + std::to_string(rng() % 4) + "\"", rng() % 2 ? "json" : "",
                       static_cast<int64_t>(rng() % 5)});
  }
  return members;
}

// Every diff's delta, applied to the state before it, gives exactly the state after it; folded
// together with Combine, a run of deltas gives the last state too. This is what start-up relies
// on to rebuild a channel from its snapshot and deltas.
TEST(ChannelDeltaTest, ApplyAndCombineReproduceEveryDiff) {
  std::mt19937 rng(static_cast<std::mt19937::result_type>(testing::TestSeed(7)));
  for (int run = 0; run < 200; ++run) {
    const DiffOptions options{UpdateOn::kAny, std::uniform_int_distribution<int>(1, 3)(rng), false};
    ChannelState state = Diff("ch", nullptr, RandomMembers(rng), options, 0).next;
    const ChannelState start = state;
    ChannelDelta combined;
    for (int cycle = 0; cycle < 6; ++cycle) {
      DiffResult diff = Diff("ch", &state, RandomMembers(rng), options, cycle);
      EXPECT_EQ(diff.changed, !diff.delta.empty());
      const ChannelState applied = Apply(state, diff.delta);
      ASSERT_TRUE(applied == diff.next) << "run " << run << " cycle " << cycle;
      ASSERT_EQ(applied.client_count(), diff.next.client_count()) << "run " << run;
      Result<ChannelDelta> decoded = ChannelDelta::Decode(diff.delta.Encode());
      ASSERT_TRUE(decoded.ok()) << decoded.error().message;
      combined = Combine(combined, *decoded);
      state = std::move(diff.next);
    }
    const ChannelState restored = Apply(start, combined);
    ASSERT_TRUE(restored == state) << "run " << run;
    ASSERT_EQ(restored.client_count(), state.client_count()) << "run " << run;
  }
}

TEST(ChannelDeltaTest, DiffWithoutNextLeavesItEmptyButKeepsTheDelta) {
  const ChannelState before = Diff("ch", nullptr, {{"a", "c", "c:0:0", "1", "", 1}}, {}, 0).next;
  DiffOptions options;
  options.build_next = false;
  DiffResult diff = Diff("ch", &before, {{"b", "d", "d:0:0", "2", "", 2}}, options, 5);
  EXPECT_TRUE(diff.next.empty());
  EXPECT_EQ(diff.delta.upserts.member_count(), 1u);
  EXPECT_EQ(diff.delta.removals.member_count(), 1u);
  EXPECT_EQ(diff.events.size(), 2u);  // leave a, enter b
}

TEST(ChannelDeltaTest, DecodeRejectsGarbage) {
  EXPECT_FALSE(ChannelDelta::Decode("").ok());
  EXPECT_FALSE(ChannelDelta::Decode("PS\x01").ok());
  std::string encoded = ChannelDelta{}.Encode();
  EXPECT_TRUE(ChannelDelta::Decode(encoded).ok());
  encoded[2] = '\x7f';  // upserts length beyond the input
  EXPECT_FALSE(ChannelDelta::Decode(encoded).ok());
  EXPECT_FALSE(ChannelDelta::Decode(ChannelDelta{}.Encode() + "x").ok());
}

}  // namespace
}  // namespace presenced
