#include "service/systemd_notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

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
