// RunContained: work in a forked child under a memory and a time bound. Whatever the work does,
// the caller gets an answer and goes on.

#include "config/contained.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace presenced::config_internal {
namespace {

TEST(RunContainedTest, OkAndErrorsComeBack) {
  EXPECT_EQ(RunContained({}, [] { return Status(Ok{}); }).kind, Contained::Kind::kOk);
  const Contained failed =
      RunContained({}, [] { return Status(Error{"poll.interval: must be ... (line 3)"}); });
  EXPECT_EQ(failed.kind, Contained::Kind::kFailed);
  EXPECT_EQ(failed.message, "poll.interval: must be ... (line 3)");
}

TEST(RunContainedTest, WorkThatAllocatesForeverIsStopped) {
  Bounds bounds;
  bounds.memory_bytes = 64 << 20;
  bounds.time = std::chrono::minutes(5);  // the memory bound must be what stops it
  const Contained outcome = RunContained(bounds, [] {
    std::vector<std::unique_ptr<char[]>> blocks;
    while (true) {
      blocks.emplace_back(new char[1 << 20]);
      std::memset(blocks.back().get(), 1, 1 << 20);  // resident, not just reserved
    }
    return Status(Ok{});
  });
  EXPECT_EQ(outcome.kind, Contained::Kind::kOutOfMemory) << outcome.message;
}

TEST(RunContainedTest, WorkThatNeverEndsIsKilled) {
  Bounds bounds;
  bounds.time = std::chrono::milliseconds(300);
  const Contained outcome = RunContained(bounds, [] {
    volatile uint64_t spins = 0;
    while (spins != ~uint64_t{0}) spins = spins + 1;
    return Status(Ok{});
  });
  EXPECT_EQ(outcome.kind, Contained::Kind::kTimedOut) << outcome.message;
}

TEST(RunContainedTest, ACrashIsReportedNotShared) {
  const Contained outcome = RunContained({}, []() -> Status { std::abort(); });
  EXPECT_EQ(outcome.kind, Contained::Kind::kCrashed);
  EXPECT_NE(outcome.message.find("signal 6"), std::string::npos) << outcome.message;
}

TEST(RunContainedTest, TheChildChangesNothingInTheCaller) {
  int touched = 0;
  EXPECT_EQ(RunContained({},
                         [&] {
                           touched = 1;
                           return Status(Ok{});
                         })
                .kind,
            Contained::Kind::kOk);
  EXPECT_EQ(touched, 0);
}

}  // namespace
}  // namespace presenced::config_internal
