// RunContained: work in a forked child under a memory and a time bound. Whatever the work does,
// the caller gets an answer and goes on.

#include "config/contained.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

// RunContainedProgram, with /bin/sh standing in for a program that answers like ServeContained.
Contained Shell(const std::string& script, std::string_view input = {}, Bounds bounds = {}) {
  return RunContainedProgram(bounds, {"/bin/sh", "-c", script}, input);
}

TEST(RunContainedProgramTest, TheInputGoesInAndTheAnswerComesBack) {
  EXPECT_EQ(Shell(R"sh(test "$(cat)" = "channels: [a]" && printf O)sh", "channels: [a]").kind,
            Contained::Kind::kOk);
  const Contained failed = Shell("cat >/dev/null; printf 'Fpoll.interval: bad (line 3)'");
  EXPECT_EQ(failed.kind, Contained::Kind::kFailed);
  EXPECT_EQ(failed.message, "poll.interval: bad (line 3)");
  // More than any pipe or socket buffer holds: written while the child reads.
  const std::string big(3 << 20, 'x');
  EXPECT_EQ(Shell(R"sh(test "$(wc -c)" = 3145728 && printf O || printf Fshort)sh", big).kind,
            Contained::Kind::kOk);
}

TEST(RunContainedProgramTest, AChildThatIgnoresItsInputDoesNotHurtTheCaller) {
  // The caller would die of SIGPIPE here if it wrote to the closed input without MSG_NOSIGNAL.
  const std::string big(3 << 20, 'x');
  EXPECT_EQ(Shell("exec 0<&-; printf O", big).kind, Contained::Kind::kOk);
}

TEST(RunContainedProgramTest, BoundsStopItAndFailuresAreReported) {
  Bounds quick;
  quick.time = std::chrono::milliseconds(300);
  EXPECT_EQ(Shell("while :; do :; done", {}, quick).kind, Contained::Kind::kTimedOut);

  Bounds small;
  small.memory_bytes = 32 << 20;
  small.time = std::chrono::minutes(5);  // the memory bound must be what stops it
  EXPECT_EQ(
      Contained::Kind::kOutOfMemory,
      RunContainedProgram(
          small, {"/usr/bin/python3", "-c", "a = []\nwhile True: a.append(bytearray(1 << 20))"}, {})
          .kind);

  const Contained crashed = Shell("kill -SEGV $$");
  EXPECT_EQ(crashed.kind, Contained::Kind::kCrashed);
  EXPECT_NE(crashed.message.find("signal 11"), std::string::npos) << crashed.message;
  const Contained missing = RunContainedProgram({}, {"/nonexistent/presenced"}, "x");
  EXPECT_EQ(missing.kind, Contained::Kind::kCrashed);
  EXPECT_NE(missing.message.find("status 127"), std::string::npos) << missing.message;
}

// A daemon started with stdin and stdout closed: the answer pipe gets fds 0 and 1 and must still
// reach the program as its stdout.
TEST(RunContainedProgramTest, WorksForACallerWithoutStdinAndStdout) {
  const int saved_in = ::dup(STDIN_FILENO), saved_out = ::dup(STDOUT_FILENO);
  ASSERT_GE(saved_in, 0);
  ASSERT_GE(saved_out, 0);
  ::close(STDIN_FILENO);
  ::close(STDOUT_FILENO);
  const Contained outcome = Shell(R"sh(test "$(cat)" = abc && printf O)sh", "abc");
  ::dup2(saved_in, STDIN_FILENO);
  ::dup2(saved_out, STDOUT_FILENO);
  ::close(saved_in);
  ::close(saved_out);
  EXPECT_EQ(outcome.kind, Contained::Kind::kOk) << outcome.message;
}

// Why the daemon execs: a fork copies a lock held by another thread, and a child that needs it
// waits forever (here a mutex; in the daemon, an allocator's lock). A program starts clean.
TEST(RunContainedProgramTest, ALockHeldByAnotherThreadIsNotInheritedByAProgram) {
  std::mutex held;
  std::promise<void> locked, release;
  std::thread holder([&] {
    std::lock_guard lock(held);
    locked.set_value();
    release.get_future().wait();
  });
  locked.get_future().wait();
  Bounds quick;
  quick.time = std::chrono::milliseconds(500);
  EXPECT_EQ(RunContained(quick,
                         [&] {
                           std::lock_guard lock(held);
                           return Status(Ok{});
                         })
                .kind,
            Contained::Kind::kTimedOut);
  EXPECT_EQ(Shell("printf O", {}, quick).kind, Contained::Kind::kOk);
  release.set_value();
  holder.join();
}

}  // namespace
}  // namespace presenced::config_internal
