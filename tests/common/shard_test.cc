// ShardOwner (rendezvous hashing) and TrailingNumber: pure functions, tested as tables and
// properties over many channel names.

#include "common/shard.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace presenced {
namespace {

std::string Name(int i) { return "room:" + std::to_string(i); }

TEST(ShardOwnerTest, OneShardOwnsEverything) {
  EXPECT_EQ(ShardOwner("a", 1), 0);
  EXPECT_EQ(ShardOwner("a", 0), 0);
  EXPECT_TRUE(ShardOwns("a", 0, 1));
}

TEST(ShardOwnerTest, ExactlyOneShardOwnsEachChannelAndTheSplitIsEven) {
  for (int count : {2, 3, 5}) {
    std::map<int, int> per_shard;
    for (int i = 0; i < 3000; ++i) {
      int owners = 0;
      for (int index = 0; index < count; ++index) owners += ShardOwns(Name(i), index, count);
      ASSERT_EQ(owners, 1) << Name(i) << " count " << count;
      ++per_shard[ShardOwner(Name(i), count)];
    }
    for (int index = 0; index < count; ++index) {
      // 3000/count expected; a fair hash stays within 15 %.
      EXPECT_NEAR(per_shard[index], 3000.0 / count, 0.15 * 3000.0 / count) << index << "/" << count;
    }
  }
}

TEST(ShardOwnerTest, GrowingTheCountOnlyMovesChannelsToTheNewShard) {
  int moved = 0;
  for (int i = 0; i < 3000; ++i) {
    const int before = ShardOwner(Name(i), 3), after = ShardOwner(Name(i), 4);
    if (before != after) {
      EXPECT_EQ(after, 3) << Name(i) << " moved between old shards";
      ++moved;
    }
  }
  EXPECT_NEAR(moved, 750, 150);  // about a quarter
}

TEST(ShardOwnerTest, OwnersAreFixedAcrossBuilds) {
  // Replicas of different versions must agree on owners: these values are part of the behaviour.
  EXPECT_EQ(ShardOwner("a", 3), 2);
  EXPECT_EQ(ShardOwner("b", 3), 1);
  EXPECT_EQ(ShardOwner("room:1", 3), 2);
  EXPECT_EQ(ShardOwner("chat:lobby", 3), 1);
}

TEST(StaggerOffsetTest, SpreadsShardsEvenlyOverTheInterval) {
  using std::chrono::milliseconds;
  EXPECT_EQ(StaggerOffset(milliseconds(60'000), 0, 1), milliseconds(0));
  EXPECT_EQ(StaggerOffset(milliseconds(60'000), 0, 3), milliseconds(0));
  EXPECT_EQ(StaggerOffset(milliseconds(60'000), 2, 3), milliseconds(40'000));
}

TEST(TrailingNumberTest, ReadsTheStatefulSetOrdinal) {
  EXPECT_EQ(TrailingNumber("presenced-0"), 0);
  EXPECT_EQ(TrailingNumber("presenced-12"), 12);
  EXPECT_EQ(TrailingNumber("7"), 7);
  EXPECT_EQ(TrailingNumber("presenced"), std::nullopt);
  EXPECT_EQ(TrailingNumber(""), std::nullopt);
  EXPECT_EQ(TrailingNumber("presenced-99999999999"), std::nullopt);
}

}  // namespace
}  // namespace presenced
