#include "common/worker_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace presenced {
namespace {

TEST(WorkerPoolTest, RunsEveryJobOnceOnUpToTheThreadsAsked) {
  WorkerPool pool;
  const std::atomic<bool> cancel{false};
  for (size_t threads : {1u, 3u, 8u}) {
    std::vector<std::atomic<int>> runs(1000);
    std::mutex mu;
    std::set<std::thread::id> ids;
    pool.Run(runs.size(), threads, cancel, [&](size_t i) {
      ++runs[i];
      std::lock_guard lock(mu);
      ids.insert(std::this_thread::get_id());
    });
    for (const auto& n : runs) ASSERT_EQ(n.load(), 1);
    EXPECT_LE(ids.size(), threads);
  }
}

TEST(WorkerPoolTest, KeepsItsThreadsAcrossBatches) {
  WorkerPool pool;
  const std::atomic<bool> cancel{false};
  std::mutex mu;
  std::set<std::thread::id> first, second;
  // Each job waits until all four threads have joined in, so all four surely take part.
  auto batch = [&](std::set<std::thread::id>& ids) {
    std::atomic<int> arrived{0};
    pool.Run(4, 4, cancel, [&](size_t) {
      {
        std::lock_guard lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      ++arrived;
      while (arrived.load() < 4) std::this_thread::yield();
    });
  };
  batch(first);
  batch(second);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(first, second) << "the same threads serve the next batch";
}

TEST(WorkerPoolTest, StopsTakingJobsOnceCancelled) {
  WorkerPool pool;
  std::atomic<bool> cancel{false};
  std::atomic<int> ran{0};
  pool.Run(10'000, 2, cancel, [&](size_t i) {
    ++ran;
    if (i == 10) cancel = true;
  });
  EXPECT_LT(ran.load(), 100);
  // A later batch runs normally.
  cancel = false;
  ran = 0;
  pool.Run(50, 2, cancel, [&](size_t) { ++ran; });
  EXPECT_EQ(ran.load(), 50);
}

TEST(WorkerPoolTest, NoJobsRunsNothing) {
  WorkerPool pool;
  const std::atomic<bool> cancel{false};
  pool.Run(0, 4, cancel, [](size_t) { FAIL(); });
}

}  // namespace
}  // namespace presenced
