#include "service/systemd_notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "notify_socket.h"
#include "test_support.h"

namespace presenced {
namespace {

TEST(SystemdNotifierTest, SendsDatagramsToTheSocket) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/notify.sock";
  testing::NotifySocket socket(path);
  SystemdNotifier notifier(path);
  ASSERT_TRUE(notifier.enabled());
  notifier.Send("READY=1");
  notifier.Send("STATUS=3 channels");
  EXPECT_EQ(socket.Receive(std::chrono::seconds(5)), "READY=1");
  EXPECT_EQ(socket.Receive(std::chrono::seconds(5)), "STATUS=3 channels");
}

// A notify socket nobody reads fills up after a few datagrams; sendto() would then block the poll
// loop until systemd reads. Each Send must return, the overflow dropped and counted.
TEST(SystemdNotifierTest, FullQueueDropsInsteadOfBlocking) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/notify.sock";
  testing::NotifySocket socket(path);  // not read until the sends are done
  SystemdNotifier notifier(path);
  ASSERT_TRUE(notifier.enabled());
  constexpr int kMessages = 2000;  // far more than any socket queue holds
  std::atomic<int> sent{0}, returned{0};
  std::thread sender([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (notifier.Send("STATUS=" + std::to_string(i))) ++sent;
      ++returned;
    }
  });
  const bool all_returned = testing::WaitFor([&] { return returned == kMessages; });
  EXPECT_TRUE(all_returned) << "Send blocked after " << returned << " messages";
  // Unblock a sender stuck in sendto (the bug) so the test can end.
  while (!all_returned && returned < kMessages) socket.Receive(std::chrono::milliseconds(100));
  sender.join();
  EXPECT_GT(sent.load(), 0);
  EXPECT_LT(sent.load(), kMessages);
  EXPECT_EQ(notifier.dropped(), static_cast<uint64_t>(kMessages - sent.load()));
  EXPECT_EQ(socket.Receive(std::chrono::seconds(5)), "STATUS=0");  // the first ones got through
}

TEST(SystemdNotifierTest, DisabledWithoutSocket) {
  SystemdNotifier notifier("");
  EXPECT_FALSE(notifier.enabled());
  notifier.Send("READY=1");  // a no-op, not a crash
}

TEST(SystemdNotifierTest, WatchdogPeriodIsHalfOfWatchdogUsec) {
  EXPECT_EQ(SystemdNotifier::WatchdogPeriod("30000000", nullptr), std::chrono::milliseconds(15000));
  const std::string self = std::to_string(getpid());
  EXPECT_EQ(SystemdNotifier::WatchdogPeriod("2000000", self.c_str()),
            std::chrono::milliseconds(1000));
  EXPECT_EQ(SystemdNotifier::WatchdogPeriod("2000000", "1"), std::nullopt);  // another process
  EXPECT_EQ(SystemdNotifier::WatchdogPeriod(nullptr, nullptr), std::nullopt);
  EXPECT_EQ(SystemdNotifier::WatchdogPeriod("0", nullptr), std::nullopt);
}

}  // namespace
}  // namespace presenced
