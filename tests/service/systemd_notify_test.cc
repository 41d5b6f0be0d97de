#include "service/systemd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "test_support.h"

namespace presenced {
namespace {

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { close(fd_); }
  std::string Receive() {
    char buf[1024];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_;
};

TEST(SystemdNotifierTest, SendsDatagramsToTheSocket) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/notify.sock";
  NotifySocket socket(path);
  SystemdNotifier notifier(path);
  ASSERT_TRUE(notifier.enabled());
  notifier.Send("READY=1");
  notifier.Send("STATUS=3 channels");
  EXPECT_EQ(socket.Receive(), "READY=1");
  EXPECT_EQ(socket.Receive(), "STATUS=3 channels");
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
