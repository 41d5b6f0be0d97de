#include "delivery/dead_letters.h"

#include <gtest/gtest.h>

#include "fakes/test_support.h"

namespace presenced {
namespace {

TEST(DeadLettersTest, DescribesPerWebhookAndReplays) {
  testing::TempDir dir;
  auto store = std::move(StateStore::Open(dir.path())).value();
  EXPECT_EQ(*DescribeDeadLetters(*store), "no dead letters\n");
  Event e;
  e.id = "e";
  e.channel = "c";
  e.client_id = "a";
  e.observed_at = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
  ASSERT_TRUE(store->CommitCycle({}, {}, {{"b-hook", e}, {"a-hook", e}, {"a-hook", e}}).ok());
  for (const char* hook : {"a-hook", "b-hook"}) {
    std::vector<int64_t> seqs;
    auto pending = store->PeekPending(hook, 10);
    ASSERT_TRUE(pending.ok());
    for (const auto& p : *pending) seqs.push_back(p.seq);
    ASSERT_TRUE(store->AssignBatch(hook, "msg", seqs, 0).ok());
    ASSERT_TRUE(store->DeadLetterBatch(hook, 1'700'000'060'000, "HTTP 410").ok());
  }
  EXPECT_EQ(*DescribeDeadLetters(*store),
            "a-hook: 2 events, oldest 2023-11-14T22:13:20Z, last given up 2023-11-14T22:14:20Z: "
            "HTTP 410\n"
            "b-hook: 1 events, oldest 2023-11-14T22:13:20Z, last given up 2023-11-14T22:14:20Z: "
            "HTTP 410\n");
  auto moved = ReplayDeadLetters(*store, "a-hook");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 2u);
  EXPECT_EQ(store->PeekPending("a-hook", 10)->size(), 2u);
  EXPECT_EQ(*ReplayDeadLetters(*store, "unknown"), 0u);
}

}  // namespace
}  // namespace presenced
